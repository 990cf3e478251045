"""Train our own default model: a small Llama on TinyStories plus passkey-retrieval episodes.

Development tool (Debian's python3-torch 1.13, CPU); its outputs are checked by budgetkv's tests.
Run (after train/prepare.py):
    /usr/bin/python3 train/train.py --out /work/ckpt/own-model [--resume]
Writes, under --out: ckpt.pt (model, optimizer, step; every --ckpt-minutes), model.bin (raw f32
weights with a JSON header, read by train/export.ts) and train.log (one JSON line per log event).
Deterministic for a given seed and thread count: the batch of step s comes from rng(seed, s).
"""
import argparse, json, math, os, struct, sys, time

import numpy as np
import sentencepiece as spm
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from model import Config, Llama  # noqa: E402
from tasks import Tasks  # noqa: E402

# The curriculum, in fractions of the run. Each phase: sequence length T, batch B, and the shares
# of sequences that are retrieval episodes (shortest episode lo * T), copy drills (a random span of
# `span` tokens repeated) and skip drills ("a b a" triples); the rest is story text. Copying
# ("induction") heads are what retrieval needs and what the first run never formed: they form first
# in short sequences with many drills (attention spread over few positions gives a strong signal)
# and a direct reward for the previous-token head (the skip drill); the later phases lengthen the
# context to 2,048 while the share of story text grows.
PHASES = [
    {"frac": 0.351, "T": 64, "B": 32, "retrieval": 0.3, "lo": 0.5, "copy": 0.35, "span": [4, 16], "skip": 0.15, "drill_weight": 1.0},
    {"frac": 0.288, "T": 128, "B": 16, "retrieval": 0.4, "lo": 0.3, "copy": 0.2, "span": [6, 32], "skip": 0.05, "drill_weight": 0.5},
    {"frac": 0.144, "T": 256, "B": 16, "retrieval": 0.4, "lo": 0.25, "copy": 0.1, "span": [8, 48], "drill_weight": 0.3},
    {"frac": 0.112, "T": 512, "B": 8, "retrieval": 0.4, "lo": 0.25, "copy": 0.05, "span": [8, 48], "drill_weight": 0.3},
    {"frac": 0.070, "T": 1024, "B": 4, "retrieval": 0.5, "lo": 0.3, "copy": 0.03, "span": [8, 48], "drill_weight": 0.3},
    {"frac": 0.035, "T": 2048, "B": 2, "retrieval": 0.6, "lo": 0.4, "copy": 0.0},
]


def phase_of(progress, phases):
    acc = 0.0
    for ph in phases:
        acc += ph["frac"]
        if progress < acc:
            return ph
    return phases[-1]


def lr_at(step, progress, peak, warmup=30, floor=0.1):
    # linear warmup over the first steps, then cosine from peak to floor * peak over the run
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def loss_fn(model, x, y, m, answer_weight):
    logits = model(torch.from_numpy(x))
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), torch.from_numpy(y).reshape(-1), reduction="none")
    w = 1.0 + answer_weight * torch.from_numpy(m).reshape(-1)
    return (ce * w).sum() / w.sum(), ce


@torch.no_grad()
def probe(model, tasks, seed, T, n=16, bs=4):
    # teacher-forced retrieval: share of episodes of at most T tokens whose answer tokens are all argmax
    rng = np.random.default_rng([seed, 99, T])
    ok = 0
    model.eval()
    for i in range(0, n, bs):
        xs, ms = [], []
        while len(xs) < bs:
            ids, m = tasks.episode(rng, T)
            if len(ids) > T or len(ids) < T // 2:
                continue
            xs.append(ids + [0] * (T - len(ids)))
            ms.append(m + [0] * (T - len(m)))
        a, mm = np.array(xs, dtype=np.int64), np.array(ms, dtype=np.float32)
        pred = model(torch.from_numpy(a[:, :-1])).argmax(-1).numpy()
        right = (pred == a[:, 1:]) | (mm[:, 1:] == 0)
        assert (mm.sum(axis=1) >= 5).all()
        ok += int(right.all(axis=1).sum())
    model.train()
    return ok / n


@torch.no_grad()
def dev_loss(model, tasks, seed, T=512, n=8):
    rng = np.random.default_rng([seed, 7])
    model.eval()
    x = np.array([tasks.story_stream(rng, T + 1) for _ in range(n)], dtype=np.int64)
    logits = model(torch.from_numpy(x[:, :-1]))
    l = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), torch.from_numpy(x[:, 1:]).reshape(-1)).item()
    model.train()
    return l


def write_raw(model, cfg, vocab, path):
    # model.bin: u32 header length, JSON header {config, vocab, tensors: [{name, shape, offset}]}, f32 data
    tensors, off, blobs = [], 0, []
    for name, t in model.gguf_tensors():
        a = t.detach().float().contiguous().numpy()
        tensors.append({"name": name, "shape": list(a.shape), "offset": off})
        blobs.append(a.tobytes())
        off += a.nbytes
    head = json.dumps({"format": "budgetkv-train-f32", "config": cfg.to_dict(), "vocab": vocab, "tensors": tensors}).encode()
    head += b" " * ((-len(head) - 4) % 32)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<I", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/ckpt/own-model/data")
    ap.add_argument("--out", default="/work/ckpt/own-model")
    ap.add_argument("--steps", type=int, default=0, help="run length in steps (reproducible schedule)")
    ap.add_argument("--minutes", type=float, default=0, help="run length in wall minutes (schedule follows the clock; fits a time budget on a shared machine)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--answer-weight", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dim", type=int, default=96)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--rope-theta", type=float, default=10000.0)
    ap.add_argument("--phases", default=None, help="JSON list of phases (see PHASES)")
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--probe-every", type=int, default=200)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--init-from", default=None, help="start a new schedule (steps, phases, lr) from this ckpt.pt's weights and optimizer state: a second segment, e.g. a story-heavy finish")
    a = ap.parse_args()
    if (a.steps > 0) == (a.minutes > 0):
        ap.error("give exactly one of --steps and --minutes")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    os.makedirs(a.out, exist_ok=True)
    phases = json.loads(a.phases) if a.phases else PHASES
    vocab = json.load(open(os.path.join(a.data, "vocab.json")))
    sp = spm.SentencePieceProcessor(model_file=os.path.join(a.data, "tokenizer.model"))
    stories = json.load(open(os.path.join(a.data, "stories.json")))
    train_tasks, dev_tasks = Tasks(sp, stories[:-100]), Tasks(sp, stories[-100:])
    cfg = Config(vocab_size=len(vocab["tokens"]), dim=a.dim, n_layers=a.layers, n_heads=a.heads,
                 n_kv_heads=a.kv_heads, hidden_dim=a.hidden, context_length=max(p["T"] for p in phases), rope_theta=a.rope_theta)
    model = Llama(cfg)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    rest = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95), eps=1e-8)
    ck = os.path.join(a.out, "ckpt.pt")
    step, wall = 0, 0.0
    if a.resume and os.path.exists(ck):
        s = torch.load(ck)
        model.load_state_dict(s["model"])
        opt.load_state_dict(s["opt"])
        step, wall = s["step"], s["wall"]
        print(f"resumed at step {step} ({wall / 60:.1f} min trained)", flush=True)
    elif a.init_from:
        s = torch.load(a.init_from)
        if s["config"] != cfg.to_dict():
            sys.exit(f"--init-from: the checkpoint's config {s['config']} differs from this run's {cfg.to_dict()}")
        model.load_state_dict(s["model"])
        opt.load_state_dict(s["opt"])
        print(f"new schedule from {a.init_from} (its step {s['step']}, {s['wall'] / 60:.1f} min trained)", flush=True)
    n_params = sum(p.numel() for p in model.parameters())
    log = open(os.path.join(a.out, "train.log"), "a")

    def emit(d):
        d["step"], d["minutes"] = step, round(wall / 60, 2)
        log.write(json.dumps(d) + "\n")
        log.flush()
        print(json.dumps(d), flush=True)

    def save():
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "wall": wall,
                    "args": vars(a), "config": cfg.to_dict()}, ck + ".tmp")
        os.replace(ck + ".tmp", ck)
        write_raw(model, cfg, vocab, os.path.join(a.out, "model.bin"))

    emit({"event": "start", "params": n_params, "config": cfg.to_dict(), "args": vars(a), "phases": phases})
    t_ck = time.time()
    toks, t_rate = 0, time.time()
    def progress():
        return step / a.steps if a.steps else wall / (a.minutes * 60)

    while progress() < 1:
        t0 = time.time()
        ph = phase_of(progress(), phases)
        T, B = ph["T"], ph["B"]
        x, y, m, kinds = train_tasks.batch(np.random.default_rng([a.seed, step]), B, ph)
        lr = lr_at(step, progress(), a.lr)
        for g in opt.param_groups:
            g["lr"] = lr
        loss, ce = loss_fn(model, x, y, m, a.answer_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item()
        opt.step()
        step += 1
        toks += B * T
        last = progress() >= 1 or (a.minutes and wall + time.time() - t0 >= a.minutes * 60)
        if step % 10 == 0:
            # losses by kind: story text, retrieval answers, drill repeats (the targets that need copying)
            ce2, w2 = ce.detach().view(B, T), torch.from_numpy(m)
            def mean_where(rows, on):
                sel = torch.from_numpy(rows)[:, None] & on
                return round(ce2[sel].mean().item(), 4) if sel.any() else None
            r = {"event": "train", "T": T, "lr": round(lr, 6),
                 "lm_loss": mean_where(kinds == 0, torch.ones_like(w2, dtype=torch.bool)),
                 "answer_loss": mean_where(kinds == 1, w2 > 0),
                 "copy_loss": mean_where(kinds == 2, w2 > 0), "skip_loss": mean_where(kinds == 3, w2 > 0),
                 "grad_norm": round(gn, 3), "tok_per_s": round(toks / (time.time() - t_rate))}
            emit(r)
            toks, t_rate = 0, time.time()
        if step % a.probe_every == 0 or last:
            t1 = time.time()
            r = {"event": "probe", "dev_loss": round(dev_loss(model, dev_tasks, a.seed), 4)}
            for L in sorted({256, T, min(1024, cfg.context_length), cfg.context_length}):
                if L <= 2 * T or last:
                    r[f"retrieval@{L}"] = probe(model, dev_tasks, a.seed, L)
            r["probe_s"] = round(time.time() - t1, 1)
            emit(r)
            toks, t_rate = 0, time.time()
        wall += time.time() - t0   # the clock counts probes and checkpoints too
        if time.time() - t_ck > a.ckpt_minutes * 60 or last:
            save()
            t_ck = time.time()
            emit({"event": "checkpoint"})
        if last:
            break
    emit({"event": "done"})


if __name__ == "__main__":
    main()
