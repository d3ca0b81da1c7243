// cluster-key-slot ships no types: its default export is Redis Cluster's key-to-slot function.
declare module 'cluster-key-slot' {
  function calculateSlot(key: string): number;
  export = calculateSlot;
}
