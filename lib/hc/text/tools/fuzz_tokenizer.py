#!/usr/bin/env python3
"""Differential test of `hc tokenize` against OpenAI's simple_tokenizer on random texts.

The fixtures pin 6843 real captions; this hunts the corners they miss (HTML references,
final sigma, U+0130, odd whitespace, combining marks, emoji, contractions, special-token
strings) by generating random texts from tricky pieces, tokenising them here with a copy of
clip/simple_tokenizer.py (ftfy stubbed to the identity, as the fixtures were made) and with
the built `hc` binary, and listing the texts whose ids differ.

    python3 lib/hc/text/tools/fuzz_tokenizer.py --hc build/bin/hc \\
        --vocab ../shared/data/clip-tokenizer/bpe_simple_vocab_16e6.txt.gz --cases 20000

Needs the `regex` module. Characters assigned after PCRE2's Unicode version (14 for 10.42)
are left out: they may split differently (see clip_pretokenizer.cpp).
"""
import argparse
import gzip
import html
import html.entities
import json
import random
import subprocess
import sys
import tempfile
import unicodedata

import regex as re

PCRE2_UNICODE = "14.0.0"


def bytes_to_unicode():
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) +
          list(range(ord("®"), ord("ÿ") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


class SimpleTokenizer:
    """clip/simple_tokenizer.py's encode(), with ftfy.fix_text as the identity."""

    def __init__(self, bpe_path):
        self.byte_encoder = bytes_to_unicode()
        merges = gzip.open(bpe_path).read().decode("utf-8").split("\n")[1:49152 - 256 - 2 + 1]
        merges = [tuple(m.split()) for m in merges]
        vocab = list(self.byte_encoder.values())
        vocab += [v + "</w>" for v in vocab] + ["".join(m) for m in merges]
        vocab += ["<|startoftext|>", "<|endoftext|>"]
        self.encoder = dict(zip(vocab, range(len(vocab))))
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}
        self.pat = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|"""
                              r"""[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", re.IGNORECASE)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        while len(word) > 1:
            pairs = {(a, b) for a, b in zip(word, word[1:])}
            bigram = min(pairs, key=lambda p: self.bpe_ranks.get(p, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            merged, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == bigram:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
        self.cache[token] = " ".join(word)
        return self.cache[token]

    def encode(self, text):
        text = html.unescape(html.unescape(text)).strip()
        text = re.sub(r"\s+", " ", text).strip().lower()
        ids = []
        for token in re.findall(self.pat, text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return ids


PIECES = ["&amp;", "&amp", "&ampx;", "&lt", "&notit;", "&copy", "&#39;", "&#x27;", "&#X41", "&#0;",
          "&#128;", "&#xD800;", "&#1114112;", "&#", "&#x", "& ", "&;", "&amp;amp;", "&nbsp;",
          "İ", "Σ", "ΑΣ", "ẞ", "ſ", "'ſ", "'S", "'Re", "'LL", "’s", "\u00a0", "\u2003", "\u2028",
          "\u200b", "\u0085", "\x1c", "\t", "\r\n", "\u3000", "\u180e", "naïve", "cafe\u0301",
          "中文", "한국어", "हिन्दी", "ไทย", "👍🏽", "👨‍👩‍👧", "½", "Ⅻ", "!!!", "http://x.org/a?b=c",
          "<|startoftext|>", "<|EndOfText|>", "\u0345", "x\u0345", "Hello", "WORLD", "1", "23"]


def random_text(rng, assigned):
    if rng.random() < 0.5:
        return "".join(rng.choice(PIECES) + rng.choice(["", " ", "a", "Σ"])
                       for _ in range(rng.randint(1, 8)))
    return "".join(chr(rng.choice(assigned)) if rng.random() < 0.6 else rng.choice(" aΣ&;#'S1")
                   for _ in range(rng.randint(1, 25)))


def assigned_code_points():
    if unicodedata.unidata_version != PCRE2_UNICODE:
        print(f"note: Python's Unicode is {unicodedata.unidata_version}, PCRE2's {PCRE2_UNICODE}",
              file=sys.stderr)
    return [cp for cp in range(0x110000)
            if unicodedata.category(chr(cp)) not in ("Cn", "Co", "Cs")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hc", required=True, help="the built hc binary")
    parser.add_argument("--vocab", required=True, help="bpe_simple_vocab_16e6.txt.gz")
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    tokenizer = SimpleTokenizer(args.vocab)
    assigned = assigned_code_points()
    texts = [random_text(rng, assigned) for _ in range(args.cases)]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8") as inputs:
        inputs.writelines(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts)
        inputs.flush()
        out = subprocess.run([args.hc, "tokenize", "--vocab", args.vocab, "--log-level", "warn",
                              inputs.name], check=True, capture_output=True, text=True).stdout
    # split("\n"), not splitlines(): texts may hold U+2028 and friends, written as-is.
    ours = [json.loads(line)["ids"] for line in out.split("\n") if line]
    mismatches = [t for t, ids in zip(texts, ours)
                  if ids != [49406] + tokenizer.encode(t) + [49407]]
    print(f"{len(texts) - len(mismatches)}/{len(texts)} random texts match simple_tokenizer")
    for text in mismatches[:10]:
        print("  mismatch:", json.dumps(text, ensure_ascii=False))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
