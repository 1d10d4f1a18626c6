/** The <option>s of a <select> over a fixed set of keys, each shown by its label (status, priority, role). */
export function EnumOptions<K extends string>({
  keys,
  labels,
}: {
  keys: readonly K[];
  labels: Readonly<Record<K, string>>;
}) {
  return (
    <>
      {keys.map((k) => (
        <option key={k} value={k}>
          {labels[k]}
        </option>
      ))}
    </>
  );
}
