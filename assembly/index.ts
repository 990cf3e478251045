// The budgetkv kernel module: one export list for every kernel family.
// Each family lives in its own file with its shape contract on top.
export * from "./elementwise";
export * from "./matmul";
export * from "./probe";

// heap_base() = first byte after the module's static data; the TypeScript heap starts here.
export function heap_base(): usize {
  return __heap_base;
}
