"""Training sequences: story text, and passkey-retrieval episodes packed into story text.

An episode is the text of budgetkv's retrieval eval (src/eval/prompts.ts retrievalPrompts):
    [story paragraphs]\n\n The secret code is 4821. Remember it.\n\n [story paragraphs]\n\n
    What is the secret code? The secret code is 4821.
with the fact after any number of paragraphs (often none, as in the eval) and the answer's tokens
weighted in the loss. Half the training codes are 5-12 digits long (the eval's have 4): every digit
after the first is a copy, so a long code gives the copying ("induction") heads more signal.
A few sequences are copy drills: a span of random tokens repeated until the sequence is full, the
classic way to make induction heads form early; their first span is not learnable and not weighted. Every sequence is encoded as one text by SentencePiece, so its tokens are
those llama.cpp's SPM tokenizer gives for the same text. All randomness comes from the rng passed in.
"""
import numpy as np

FACT = "The secret code is {code}. Remember it."
QUESTION = "What is the secret code? The secret code is"
ANSWER = " {code}."
BOS = 1


class Tasks:
    def __init__(self, sp, stories):
        self.sp = sp
        self.stories = stories
        self.paras = [p for s in stories for p in s.split("\n\n") if len(p) > 40]
        self.para_len = np.array([len(sp.encode(p)) for p in self.paras]) + 2  # + "\n\n"

    def story_stream(self, rng, n):
        # BOS + stories joined by blank lines (as tinystories_val.txt), n tokens
        i = int(rng.integers(len(self.stories)))
        parts = []
        while True:
            parts.append(self.stories[i])
            i = (i + 1) % len(self.stories)
            if sum(len(p) for p in parts) < 2.5 * n:   # about 2.9 characters a token
                continue
            ids = [BOS] + self.sp.encode("\n\n".join(parts))
            if len(ids) >= n:
                return ids[:n]

    def filler(self, rng, n_tok):
        # random paragraphs of at most n_tok tokens in all (stops when 8 draws in a row do not fit)
        out, total, misses = [], 0, 0
        while misses < 8:
            j = int(rng.integers(len(self.paras)))
            if total + self.para_len[j] > n_tok:
                misses += 1
                continue
            out.append(self.paras[j])
            total += self.para_len[j]
            misses = 0
        return out

    def episode(self, rng, n_tok, long_codes=False):
        # one episode of at most about n_tok tokens: (ids, answer mask) with BOS first
        code = str(int(rng.integers(1000, 10000)))
        if long_codes and rng.random() < 0.5:
            code += "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(1, 9))))
        paras = self.filler(rng, max(0, n_tok - 32))
        at = 0 if rng.random() < 0.35 else int(rng.integers(len(paras) + 1))
        prompt = "\n\n".join(paras[:at] + [FACT.format(code=code)] + paras[at:]) + "\n\n" + QUESTION
        p_ids = self.sp.encode(prompt)
        ids = self.sp.encode(prompt + ANSWER.format(code=code))
        assert ids[:len(p_ids)] == p_ids, "the answer's tokens must extend the prompt's"
        mask = [0] * (len(p_ids) + 1) + [1] * (len(ids) - len(p_ids))
        return [BOS] + ids, mask

    def retrieval_sequence(self, rng, n, lo):
        # episodes of lo..n tokens packed into n tokens; a tail too short for one is story text
        ids, mask = [], []
        while n - len(ids) >= 40:
            room = n - len(ids)
            target = int(rng.integers(min(lo, room), room + 1))
            e, m = self.episode(rng, target, True)
            if len(e) > room:
                e, m = self.episode(rng, target - (len(e) - room) - 8, True)
                if len(e) > room:
                    break
            ids += e
            mask += m
        if len(ids) < n:
            tail = self.story_stream(rng, n - len(ids))
            ids += tail
            mask += [0] * len(tail)
        return ids[:n], mask[:n]

    def copy_drill(self, rng, n, lo=8, hi=48, weight=0.1):
        # BOS + a span of lo..hi random ordinary tokens, repeated; the repeats weigh `weight` of an
        # answer. Short spans in short sequences give the copying heads a strong, early signal.
        k = int(rng.integers(lo, hi + 1))
        span = [int(t) for t in rng.integers(259, self.sp.get_piece_size(), k)]
        ids = [BOS] + (span * (n // k + 1))[:n - 1]
        return ids, [0] * (k + 1) + [weight] * (n - k - 1)

    def skip_drill(self, rng, n, weight=0.1):
        # BOS + triples "a b a" of random ordinary tokens: the third token repeats the one two back,
        # so predicting it needs a previous-token head, the first half of a copying (induction) circuit
        ids, mask = [BOS], [0]
        while len(ids) < n:
            a, b = (int(t) for t in rng.integers(259, self.sp.get_piece_size(), 2))
            ids += [a, b, a]
            mask += [0, 0, weight]
        return ids[:n], mask[:n]

    def batch(self, rng, B, ph):
        # x, y (B, T) int64 and the loss weights (B, T) of the answer targets and drill repeats, and
        # kinds (B,): 0 story, 1 retrieval, 2 copy drill, 3 skip drill. ph is a phase (train.PHASES).
        T = ph["T"]
        xs, ms, kinds = [], [], []
        for _ in range(B):
            u = rng.random()
            if u < ph.get("copy", 0):
                ids, m = self.copy_drill(rng, T + 1, *ph.get("span", (8, 48)), ph.get("drill_weight", 0.1))
                kind = 2
            elif u < ph.get("copy", 0) + ph.get("skip", 0):
                ids, m = self.skip_drill(rng, T + 1, ph.get("drill_weight", 0.1))
                kind = 3
            elif u < ph.get("copy", 0) + ph.get("skip", 0) + ph["retrieval"]:
                ids, m = self.retrieval_sequence(rng, T + 1, max(40, int(ph["lo"] * T)))
                kind = 1
            else:
                ids, m = self.story_stream(rng, T + 1), [0] * (T + 1)
                kind = 0
            xs.append(ids)
            ms.append(m)
            kinds.append(kind)
        a = np.array(xs, dtype=np.int64)
        m = np.array(ms, dtype=np.float32)
        return a[:, :-1], a[:, 1:], m[:, 1:], np.array(kinds)
