// DBudgetKV and nucleus keep the same positions as an independent numpy implementation of the
// rules (tests/fixtures/kv-rules-stories260k.json), on 12 stories260K prompts of 96-436 tokens.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { LLM } from "../src/llm.ts";
import { KVController } from "../src/kv/controller.ts";
import { fixturePath, needFiles, sharedPath } from "./helpers/shared.ts";
import { WASM_BUILDS, skipReason } from "./helpers/runtimes.ts";

interface Layer { layer: number; exempt: boolean; j: number | null; kept: number; positions?: number[]; evicted_frac?: number }
interface Case { index: number; n: number; prompt_ids: number[]; dbudget: { kept_ratio: number; layers: Layer[] }; nucleus: { kept_ratio: number; layers: Layer[] } }

for (const build of WASM_BUILDS) {
  describe(`KV rules position for position (${build})`, { skip: needFiles("models/stories260K.bin", "models/tok512.bin") || skipReason(build) }, () => {
    const fx = JSON.parse(readFileSync(fixturePath("kv-rules-stories260k.json"), "utf8"));
    let llm: LLM;
    before(async () => { llm = await LLM.load(sharedPath("models", "stories260K.bin"), { build }); });
    after(() => llm?.dispose());

    const keptAfterPrefill = (policy: string, ids: number[]) => {
      const { rt, model } = llm.engine;
      const kvc = new KVController(rt, model, { policy }, ids.length, 1);
      try {
        kvc.run(Int32Array.from(ids), 0, ids.length);
        const layers = kvc.store.layers.map((heads, l) => {
          const p = [...kvc.store.positions(l, 0)];
          for (let h = 1; h < heads.length; h++) assert.deepEqual([...kvc.store.positions(l, h)], p, "one cut per layer");
          return p;
        });
        return { layers, ratio: kvc.report().keptRatio };
      } finally {
        kvc.dispose();
      }
    };

    it("dbudget (T = 0.01, 4 sinks, layers 0-1 exempt) keeps exactly the reference's positions", () => {
      for (const c of fx.cases as Case[]) {
        const got = keptAfterPrefill("dbudget", c.prompt_ids);
        for (const L of c.dbudget.layers) {
          const want = L.exempt ? [...Array(c.n).keys()] : [0, 1, 2, 3, ...Array.from({ length: L.j! }, (_, i) => c.n - L.j! + i)];
          assert.deepEqual(got.layers[L.layer], want, `case ${c.index} layer ${L.layer}`);
        }
        assert.ok(Math.abs(got.ratio - c.dbudget.kept_ratio) < 1e-9, `case ${c.index} kept ratio ${got.ratio} vs ${c.dbudget.kept_ratio}`);
      }
    });

    it("nucleus (T = 0.01, window 32, layer 0 exempt) keeps the reference's positions (a cut within 1e-6 of T may move by one)", () => {
      let exact = 0, nearTies = 0;
      for (const c of fx.cases as Case[]) {
        const got = keptAfterPrefill("nucleus", c.prompt_ids);
        for (const L of c.nucleus.layers) {
          const want = L.exempt ? [...Array(c.n).keys()] : L.positions!;
          const g = got.layers[L.layer];
          if (JSON.stringify(g) === JSON.stringify(want)) { exact++; continue; }
          // the fixture flags cuts whose evicted mass is within float32 error of T
          assert.ok(Math.abs(L.evicted_frac! - 0.01) < 1e-6, `case ${c.index} layer ${L.layer}: ${g.length} kept vs ${want.length}`);
          assert.ok(Math.abs(g.length - want.length) <= 1 && want.every((p) => g.includes(p)) || g.every((p) => want.includes(p)));
          nearTies++;
        }
      }
      assert.ok(nearTies <= 1, `${nearTies} near-tie layers differ`);
      assert.ok(exact >= 59);
    });
  });
}
