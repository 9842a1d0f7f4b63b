"""Time real Chroma from opening a compacted directory to its first answer: first_query.py <dir>

Run in a fresh process so nothing is warm.  The clock (time.perf_counter) starts just before
`PersistentClient(path)` and stops when one `query(n_results=10)` returns; importing chromadb is
left out because it is the same for any directory.  Chroma builds or loads the HNSW index and
replays its log lazily, so this is where a directory written as a bare log pays for it.

Prints one JSON line: openToFirstQuerySeconds, count (taken after the clock stops), hits.
"""

from __future__ import annotations

import argparse
import json
import time

import chromadb
import numpy as np

DIM = 1536


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir")
    parser.add_argument("--collection", default="words")
    args = parser.parse_args()
    # A fixed vector, so that every run asks the same question.
    query = np.random.default_rng(12345).standard_normal(DIM, dtype=np.float32)

    started = time.perf_counter()
    client = chromadb.PersistentClient(path=args.dir)
    collection = client.get_collection(args.collection)
    result = collection.query(query_embeddings=[query], n_results=10)
    seconds = time.perf_counter() - started

    print(json.dumps({
        "openToFirstQuerySeconds": round(seconds, 3),
        "count": collection.count(),
        "hits": len(result["ids"][0]),
    }))


if __name__ == "__main__":
    main()
