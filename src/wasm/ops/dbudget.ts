// Budget-free cuts (assembly/dbudget.ts): kernel signatures, their TypeScript fallback, and the
// wrappers. Both return how many of the ranked candidates `order` to keep (a prefix length).
import type { Heap } from "../heap.ts";
import { Tensor } from "../tensor.ts";
import * as ref from "../../ref/dbudget.ts";
import { expectDtype, f32At, i32At } from "./check.ts";

export interface DbudgetKernels {
  dbudget_cut_f32(attn: number, n_heads: number, n: number, order: number, n_order: number, tol: number, scratch: number): number;
  nucleus_cut_f32(s: number, n: number, order: number, n_order: number, tol: number): number;
}

export function dbudgetFallback(h: Heap): DbudgetKernels {
  return {
    dbudget_cut_f32: (attn, n_heads, n, order, n_order, tol) =>
      ref.dbudget_cut_f32(f32At(h, attn), n_heads, n, i32At(h, order), n_order, tol),
    nucleus_cut_f32: (s, n, order, n_order, tol) => ref.nucleus_cut_f32(f32At(h, s), n, i32At(h, order), n_order, tol),
  };
}

// `order` as an i32 tensor: the caller's own, or a temporary copy (then `owned`); positions checked
function orderTensor(op: string, like: Tensor, order: Tensor | ArrayLike<number>, n: number): { t: Tensor; owned: boolean } {
  let t: Tensor, owned = false;
  if (order instanceof Tensor) { expectDtype(op, "order", order, "i32"); t = order; }
  else { t = like.rt.tensor("i32", [order.length]); owned = true; t.write(order); }
  const a = t.i32();
  for (let i = 0; i < a.length; i++) {
    if (a[i] < 0 || a[i] >= n) {
      if (owned) t.dispose();
      throw new RangeError(`${op}: order[${i}] = ${a[i]} is not a position in [0, ${n})`);
    }
  }
  return { t, owned };
}

function rows2d(op: string, attn: Tensor): [number, number] {
  expectDtype(op, "attn", attn, "f32");
  if (attn.shape.length !== 2) throw new RangeError(`${op}: attn has shape [${attn.shape.join(", ")}], expected (n_heads, n)`);
  return [attn.shape[0], attn.shape[1]];
}

// DBudgetKV's halting cut: attn (n_heads, n) softmax rows of the last prompt token, order the
// candidates (newest first, sinks left out) -> how many of them to keep. Special cases in
// assembly/dbudget.ts: no candidates -> 0; tol <= 0 -> all; NaN weights -> all; zero mass -> 0.
export function dbudgetCut(attn: Tensor, order: Tensor | ArrayLike<number>, tol: number): number {
  const op = "dbudgetCut";
  const [nHeads, n] = rows2d(op, attn);
  const { t, owned } = orderTensor(op, attn, order, n);
  const scratch = attn.rt.tensor("f32", [2 * Math.max(t.size, 1)]); // (n_order) f64
  try {
    return attn.rt.k.dbudget_cut_f32(attn.ptr, nHeads, n, t.ptr, t.size, tol, scratch.ptr);
  } finally {
    scratch.dispose();
    if (owned) t.dispose();
  }
}

// The nucleus cut: s (n) attention mass per position (>= 0), order the candidates ranked by s
// (descending, newer first on ties) -> the shortest prefix whose evicted mass / total <= tol.
export function nucleusCut(s: Tensor, order: Tensor | ArrayLike<number>, tol: number): number {
  const op = "nucleusCut";
  expectDtype(op, "s", s, "f32");
  const { t, owned } = orderTensor(op, s, order, s.size);
  try {
    return s.rt.k.nucleus_cut_f32(s.ptr, s.size, t.ptr, t.size, tol);
  } finally {
    if (owned) t.dispose();
  }
}
