"""Data and tokenizer for our own model (development tool, not part of the package).

Reads the TinyStories training prefixes from $BUDGETKV_SHARED/data (never committed), puts every
story in the layout of data/tinystories_val.txt (paragraphs separated by a blank line), re-cases
the lowercased file's extra stories, trains a SentencePiece BPE tokenizer (byte fallback, digits
split into single tokens) and writes, under OUT (default /work/ckpt/own-model/data):
  tokenizer.model        the SentencePiece model
  vocab.json             pieces, scores and token types in llama.cpp's order, for train/export.ts
  stories.json           the stories (train.py holds the last 100 out as its dev split)
Seeded and deterministic.  Run: /usr/bin/python3 train/prepare.py [--vocab 1024] [--out DIR]
"""
import argparse, json, os, re, random
from collections import Counter
import sentencepiece as spm

SHARED = os.environ.get("BUDGETKV_SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "shared"))


def stories_cased(path):
    # stories separated by <|endoftext|>, paragraphs by single newlines; the last story is cut off
    parts = open(path, encoding="utf-8").read().split("<|endoftext|>")[:-1]
    out = []
    for p in parts:
        paras = [l.strip() for l in p.strip().split("\n") if l.strip()]
        if paras:
            out.append("\n\n".join(paras))
    return out


def stories_lower(path):
    # stories separated by a single newline, paragraphs by blank lines
    text = open(path, encoding="utf-8").read()
    out = []
    for s in re.split(r"(?<!\n)\n(?!\n)", text):
        paras = [l.strip() for l in s.split("\n\n") if l.strip()]
        if paras:
            out.append("\n\n".join(paras))
    return out


def capitalized_words(stories):
    # words written capitalized in the middle of sentences nearly always (names: Lily, Tom, ...)
    cap, low = Counter(), Counter()
    for s in stories:
        for m in re.finditer(r"(?<=[a-z,] )([A-Za-z]+)", s):
            w = m.group(1)
            (cap if w[0].isupper() else low)[w.lower()] += 1
    return {w for w, n in cap.items() if n >= 3 and n >= 9 * low[w]}


def recase(s, names):
    s = re.sub(r"\b([a-z]+)\b", lambda m: m.group(1).capitalize() if m.group(1) in names else m.group(1), s)
    s = re.sub(r"\bi\b", "I", s)
    # sentence starts: text start, after . ! ? (and an optional closing quote) or a paragraph break,
    # also inside an opening quote
    s = re.sub(r'(^|[.!?]["\']? +|\n\n|[.!?,:] +"|^")([a-z])', lambda m: m.group(1) + m.group(2).upper(), s)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", type=int, default=1024)
    ap.add_argument("--out", default="/work/ckpt/own-model/data")
    ap.add_argument("--seed", type=int, default=1234)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    cased = stories_cased(os.path.join(SHARED, "data", "tinystories_train_head2MiB.txt"))
    lower = stories_lower(os.path.join(SHARED, "data", "tinystories_train_head4MB_lowercase.txt"))
    # the lowercased file starts with the cased file's stories: keep only the stories after them
    tail_key = cased[-1].lower()[-120:]
    start = next(i for i, s in enumerate(lower) if tail_key in s) + 1
    names = capitalized_words(cased)
    extra = [recase(s, names) for s in lower[start:]]
    stories = cased + extra
    print(f"stories: {len(cased)} cased + {len(extra)} re-cased (of {len(lower)} lowercased; overlap {start}); {len(names)} names")
    rng = random.Random(a.seed)
    rng.shuffle(stories)
    corpus = os.path.join(a.out, "corpus.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        for s in stories:
            f.write(s.replace("\n\n", "\n") + "\n")   # spm trains line by line: one paragraph a line
    prefix = os.path.join(a.out, "tokenizer")
    spm.SentencePieceTrainer.train(
        input=corpus, model_prefix=prefix, model_type="bpe", vocab_size=a.vocab,
        character_coverage=1.0, byte_fallback=True, split_digits=True,
        normalization_rule_name="identity", remove_extra_whitespaces=False, add_dummy_prefix=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, max_sentence_length=16384,
        input_sentence_size=0, shuffle_input_sentence=False, seed_sentencepiece_size=1000000,
        num_threads=2, minloglevel=1)
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    # llama.cpp token types: 1 normal, 2 unknown, 3 control, 6 byte
    pieces, scores, types = [], [], []
    for i in range(sp.get_piece_size()):
        pieces.append(sp.id_to_piece(i))
        scores.append(sp.get_score(i))
        types.append(2 if sp.is_unknown(i) else 3 if sp.is_control(i) else 6 if sp.is_byte(i) else 1)
    json.dump({"model": "llama", "tokens": pieces, "scores": scores, "token_type": types,
               "bos": 1, "eos": 2, "unk": 0, "sentencepiece": "bpe, byte_fallback, split_digits, identity normalization"},
              open(os.path.join(a.out, "vocab.json"), "w"))
    json.dump(stories, open(os.path.join(a.out, "stories.json"), "w"))
    n_tok = sum(len(sp.encode(s)) for s in stories)
    chars = sum(len(s) for s in stories)
    print(f"tokens: {n_tok} ({chars / n_tok:.2f} chars/token), vocab {sp.get_piece_size()}")

if __name__ == "__main__":
    main()
