"""A tuned plain-chromadb compaction, the fairest Python peer: tuned_compact.py <out dir> <delta dir>...

What a user who knows chromadb would write: one client for the output; per delta a client that
reads each collection whole in one `get` (ids, embeddings, documents, metadatas), upserts it into
the output in batches of `get_max_batch_size()`, and is closed (`close()`, chromadb 1.5.2 and later)
before the next delta is opened; the output client is closed at the end. Chroma indexes the output
as it goes, so the result is ready to query. Deltas apply in the order given, with upsert semantics,
as the compactor applies them.

Prints one JSON summary line on stdout at the end; progress goes to stderr.
"""

from __future__ import annotations

import json
import sys
import time

import chromadb


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: tuned_compact.py <out dir> <delta dir>...", file=sys.stderr)
        return 2
    out_dir, delta_dirs = argv[0], argv[1:]
    started = time.perf_counter()
    client = chromadb.PersistentClient(path=out_dir)
    batch = client.get_max_batch_size()
    outputs: dict = {}
    records_read = 0
    for number, path in enumerate(delta_dirs, start=1):
        delta = chromadb.PersistentClient(path=path)
        try:
            for collection in delta.list_collections():
                if collection.name not in outputs:
                    outputs[collection.name] = client.get_or_create_collection(
                        collection.name, configuration=collection.configuration,
                        metadata=collection.metadata)
                output = outputs[collection.name]
                got = collection.get(include=["embeddings", "documents", "metadatas"])
                for start in range(0, len(got["ids"]), batch):
                    stop = start + batch
                    output.upsert(ids=got["ids"][start:stop], embeddings=got["embeddings"][start:stop],
                                  documents=got["documents"][start:stop],
                                  metadatas=got["metadatas"][start:stop])
                records_read += len(got["ids"])
        finally:
            delta.close()
        if number % 10 == 0 or number == len(delta_dirs):
            print(f"[tuned] {number}/{len(delta_dirs)} deltas, {records_read} records, "
                  f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    summary = {
        "deltas": len(delta_dirs),
        "collections": len(outputs),
        "recordsRead": records_read,
        "recordsWritten": sum(c.count() for c in outputs.values()),
        "seconds": round(time.perf_counter() - started, 3),
    }
    client.close()
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
