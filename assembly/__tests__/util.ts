// Helpers shared by the specs: f32 arrays on the spec's heap and their addresses for the kernels.

// a StaticArray<f32> with f(i) at index i
export function arr(n: i32, f: (i: i32) => f32): StaticArray<f32> {
  const a = new StaticArray<f32>(n);
  for (let i = 0; i < n; i++) a[i] = f(i);
  return a;
}

// a StaticArray<f32> holding vals
export function arrOf(vals: f32[]): StaticArray<f32> {
  const a = new StaticArray<f32>(vals.length);
  for (let i = 0; i < vals.length; i++) a[i] = vals[i];
  return a;
}

// the byte address of an array's first element
export function ptr<T>(a: StaticArray<T>): usize {
  return changetype<usize>(a);
}
