/** The value stored under `key`, created and stored by `create` on first use. */
export function getOrCreate<K extends object | string | number, V>(
  map: K extends object ? WeakMap<K, V> | Map<K, V> : Map<K, V>,
  key: K,
  create: () => V,
): V {
  const store = map as Map<K, V>;
  let value = store.get(key);
  if (value === undefined) {
    value = create();
    store.set(key, value);
  }
  return value;
}
