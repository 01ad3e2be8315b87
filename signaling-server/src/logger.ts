/** One line per event; a function so tests can collect lines and hosts can route them anywhere. */
export type Logger = (line: string) => void;

export const silentLogger: Logger = () => {};

export const consoleLogger: Logger = (line) => {
  console.log(line);
};
