"""Makes the sample deltas in examples/deltas with real chromadb (see requirements/chroma.txt).

Four small deltas, as a producer would upload them: receipt words (cosine) and lines (l2), 1536-d,
ids that overlap across deltas (later deltas win, metadata merges), and one delta that also deletes.
Run from the repository root:  .venv/bin/python examples/make_examples.py
"""

import json
import os
import shutil

import chromadb
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "deltas")
DIM = 1536
WORDS = ["total", "subtotal", "tax", "cash", "change", "milk", "bread", "coffee", "visa", "receipt"]


def delta(name, first_word, first_line, n, rng, deletes=None):
    path = os.path.join(OUT, name)
    client = chromadb.PersistentClient(path=path)
    words = client.get_or_create_collection("receipt_words", configuration={"hnsw": {"space": "cosine"}})
    lines = client.get_or_create_collection("receipt_lines")
    wid = [f"word-{i:05d}" for i in range(first_word, first_word + n)]
    words.add(ids=wid, embeddings=rng.standard_normal((n, DIM)).astype(np.float32),
              documents=[WORDS[i % len(WORDS)] for i in range(first_word, first_word + n)],
              metadatas=[{"receipt": i // 25, "line": i % 25, "confidence": float(rng.random()),
                          "bbox": [float(x) for x in rng.random(4)], "valid": bool(i % 3)}
                         for i in range(first_word, first_word + n)])
    lid = [f"line-{i:05d}" for i in range(first_line, first_line + n // 4)]
    lines.add(ids=lid, embeddings=rng.standard_normal((len(lid), DIM)).astype(np.float32),
              documents=[f"line {i}: " + " ".join(WORDS[(i + j) % len(WORDS)] for j in range(4)) for i in
                         range(first_line, first_line + len(lid))],
              metadatas=[{"receipt": i // 5, "merchant": "ACME Market"} for i in range(first_line, first_line + len(lid))])
    if deletes:
        with open(os.path.join(path, "tombstones.json"), "w") as f:
            json.dump({"format": "chroma-compactor/tombstones", "version": 1, "collections": deletes}, f, indent=1)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    rng = np.random.default_rng(7)
    delta("delta-0001", 0, 0, 40, rng)
    delta("delta-0002", 30, 8, 40, rng)
    delta("delta-0003", 60, 16, 40, rng, deletes={"receipt_words": ["word-00001", "word-00002"],
                                                  "receipt_lines": ["line-00000"]})
    delta("delta-0004", 95, 24, 40, rng)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
