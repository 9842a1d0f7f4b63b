"""Recall@10 of a compacted snapshot as real chromadb answers: recall.py <dir> [--queries 200]

Queries are fresh vectors of the same kind as the deltas' (bench/make_deltas.py's model, a seed of
their own); chromadb answers them at its default ef_search; the truth is exact brute force over every
embedding the snapshot holds, read through chromadb in pages of 10,000 (so a large snapshot never
sits in memory whole). Cosine space, as the bench's collections are.

Prints one JSON line: recall, queries, count.
"""

from __future__ import annotations

import argparse
import json

import chromadb
import numpy as np

import make_deltas
import vectors

PAGE = 10_000
K = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir")
    parser.add_argument("--collection", default=make_deltas.COLLECTION)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    queries = vectors.block("clustered", args.queries, make_deltas.DIM, np.random.default_rng(424242),
                            make_deltas.embedding_model()).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    client = chromadb.PersistentClient(path=args.dir)
    collection = client.get_collection(args.collection)
    count = collection.count()
    best = np.full((len(queries), K), np.inf, dtype=np.float64)
    best_ids = np.full((len(queries), K), "", dtype=object)
    for offset in range(0, count, PAGE):
        page = collection.get(include=["embeddings"], limit=PAGE, offset=offset)
        data = np.asarray(page["embeddings"], dtype=np.float32)
        data /= np.linalg.norm(data, axis=1, keepdims=True)
        distances = 1 - queries @ data.T
        ids = np.asarray(page["ids"], dtype=object)
        merged = np.concatenate([best, distances], axis=1)
        merged_ids = np.concatenate([best_ids, np.broadcast_to(ids, distances.shape)], axis=1)
        keep = np.argsort(merged, axis=1, kind="stable")[:, :K]
        best = np.take_along_axis(merged, keep, axis=1)
        best_ids = np.take_along_axis(merged_ids, keep, axis=1)
    answer = collection.query(query_embeddings=queries, n_results=K, include=[])
    hits = sum(len(set(answer["ids"][i]) & set(best_ids[i])) for i in range(len(queries)))
    client.close()
    print(json.dumps({"recall": round(hits / (len(queries) * K), 4), "queries": len(queries), "count": count}))


if __name__ == "__main__":
    main()
