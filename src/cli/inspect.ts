// `budgetkv inspect FILE`: architecture, shapes, tensor types and tokenizer of a model file.
import { openModel } from "../format/model-file.ts";
import { loadTokenizer } from "../tokenizer/load.ts";
import { parseFlags, usage, UsageError, type FlagSpec } from "./args.ts";
import type { CliIO } from "./io.ts";

const FLAGS: FlagSpec[] = [
  { names: ["--tokenizer"], key: "tokenizer", type: "string", help: "tokenizer.bin for llama2.c models" },
  { names: ["--json"], key: "json", type: "boolean", help: "print JSON" },
];
export const INSPECT_USAGE = `budgetkv inspect FILE [--tokenizer FILE] [--json]\n${usage(FLAGS)}`;

export async function inspectCommand(argv: string[], io: CliIO): Promise<void> {
  const { flags, rest } = parseFlags(argv, FLAGS);
  if (rest.length !== 1) throw new UsageError("inspect takes one model file or folder");
  const file = await openModel(rest[0]);
  try {
    const tok = await loadTokenizer(file, flags.tokenizer as string | undefined).catch((e: Error) => e);
    const types = new Map<string, number>();
    for (const t of file.tensors.values()) types.set(t.dtype, (types.get(t.dtype) ?? 0) + 1);
    const tokInfo = tok instanceof Error ? { error: tok.message } : {
      kind: tok.kind, vocab_size: tok.vocabSize, bos: tok.bos, eos: [...tok.eos], add_bos: tok.addBos,
    };
    const info = {
      file: file.name, format: file.format, config: file.config,
      tensor_types: Object.fromEntries(types),
      tensors: [...file.tensors.values()].map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.nbytes })),
      tokenizer: tokInfo,
      chat_template: file.chatTemplate ? true : false,
    };
    if (flags.json) { io.out(JSON.stringify(info, null, 2) + "\n"); return; }
    const c = file.config;
    io.out(`${file.name}: ${file.format}, architecture ${c.arch}\n`);
    io.out(`  dim ${c.dim}, ffn ${c.hiddenDim}, layers ${c.nLayers}, heads ${c.nHeads} (kv ${c.nKvHeads}, head_dim ${c.headDim}), vocab ${c.vocabSize}, context ${c.contextLength}\n`);
    io.out(`  rope ${c.ropeStyle}, theta ${c.ropeTheta}, dims ${c.ropeDim}${c.ropeScaling ? `, llama3 scaling x${c.ropeScaling.factor}` : ""}; rms eps ${c.normEps}; tied embeddings ${c.tiedEmbeddings}${c.qkvBias ? "; qkv bias" : ""}${c.qkNorm ? "; q/k norm" : ""}\n`);
    io.out(`  tensors: ${file.tensors.size} (${[...types].map(([t, n]) => `${n} ${t}`).join(", ")})\n`);
    for (const t of file.tensors.values()) io.out(`    ${t.name.padEnd(28)} ${t.dtype.padEnd(5)} [${t.shape.join(", ")}]\n`);
    io.out(tok instanceof Error
      ? `  tokenizer: unavailable (${tok.message})\n`
      : `  tokenizer: ${tok.kind}, ${tok.vocabSize} tokens, bos ${tok.bos}, eos ${[...tok.eos].join(" ")}, add_bos ${tok.addBos}\n`);
    io.out(`  chat template: ${file.chatTemplate ? "yes" : "no"}\n`);
  } finally {
    await file.close();
  }
}
