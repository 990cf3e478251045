// The main job: generate with DBudgetKV on stories260K, then evaluate every KV policy against
// the full cache on TinyStories text and draw the trade-off (tradeoff.svg).
// Models and data come from $BUDGETKV_SHARED (default ../shared).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const shared = process.env.BUDGETKV_SHARED ?? join(root, "..", "shared");
const cli = (args) => {
  console.log(`\n$ budgetkv ${args.join(" ")}`);
  const r = spawnSync(process.execPath, [join(root, "bin", "budgetkv.mjs"), ...args], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
const model = join(shared, "models", "stories260K.bin");
cli(["run", "-m", model, "-p", "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day,", "-n", "64", "--temp", "0", "--kv-policy", "dbudget"]);
cli(["eval", "-m", model, "--data", join(shared, "data", "tinystories_val.txt"), "--prompts", "40",
  "--policies", "full,dbudget,nucleus,streaming:0.5,0.7,0.9,snapkv:0.5,0.7,0.9,h2o:0.5,0.7,0.9", "--svg", join(root, "tradeoff.svg")]);
console.log(`\nwrote ${join(root, "tradeoff.svg")}`);
