// The main job: generate with DBudgetKV on the default model (budgetkv-stories-500k, shipped in
// models/), evaluate every KV policy against the full cache on story text and draw the trade-off
// (tradeoff.svg), then ask each policy for a passkey hidden in 1,024 tokens of story text.
// The evaluation text is the TinyStories validation split from $BUDGETKV_SHARED (default
// ../shared) when it is there, else data/stories.txt (stories written for this project), so the
// demo runs offline on a fresh clone.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const shared = process.env.BUDGETKV_SHARED ?? join(root, "..", "shared");
const cli = (args) => {
  console.log(`\n$ budgetkv ${args.join(" ")}`);
  const r = spawnSync(process.execPath, [join(root, "bin", "budgetkv.mjs"), ...args], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
const sharedText = join(shared, "data", "tinystories_val.txt");
const [data, prompts] = existsSync(sharedText) ? [sharedText, "40"] : [join(root, "data", "stories.txt"), "24"];
if (data !== sharedText) console.log(`(${sharedText} is absent: evaluating on data/stories.txt instead)`);
cli(["run", "-p", "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day,", "-n", "64", "--temp", "0", "--kv-policy", "dbudget"]);
cli(["eval", "--data", data, "--prompts", prompts,
  "--policies", "full,dbudget,nucleus,streaming:0.5,0.7,0.9,snapkv:0.5,0.7,0.9,h2o:0.5,0.7,0.9", "--svg", join(root, "tradeoff.svg")]);
console.log(`\nwrote ${join(root, "tradeoff.svg")}`);
cli(["eval", "--data", data, "--task", "retrieval", "--prompts", "10", "--prompt-tokens", "1024", "--cont-tokens", "8", "--gen-tokens", "8",
  "--policies", "full,dbudget,nucleus,streaming:0.5,snapkv:0.5,h2o:0.5"]);
