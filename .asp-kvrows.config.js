// as-pect runs the AssemblyScript specs in assembly/__tests__ against the kernel sources.
export default {
  entries: ["assembly/__tests__/kvrows.spec.ts", "assembly/__tests__/attention.spec.ts"],
  include: ["assembly/__tests__/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
