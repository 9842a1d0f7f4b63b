"""The seed's sequential compaction, as the baseline: seed_compact.py [--close] <out dir> <delta dir>...

This follows `process_chunk_deltas_sequential` / `process_single_delta_optimized` from the seed
document (shared/seed/chroma-compaction-memory-analysis.md) minus the S3 transfers: one client for
the output, then per delta a client of its own, all ids first, records fetched and upserted in
batches of 100, and the delta client dropped with `del` + `gc.collect()`.

It is kept faithful on purpose, including what it gets wrong: `del` does not close a chromadb
client (chromadb keeps each path's system in a process-wide cache), which is part of what the
benchmark measures.  `--close` is the same algorithm with that one flaw fixed: each delta's client
is closed (`close()`, chromadb 1.5.2 and later) before the next delta is opened.

Prints one JSON summary line on stdout at the end; progress goes to stderr.
"""

from __future__ import annotations

import gc
import json
import sys
import time

import chromadb

BATCH_SIZE = 100


def copy_collection(delta_collection, output_collection) -> int:
    """Stream one delta collection into the output in batches; returns records read."""
    all_ids = delta_collection.get(include=[])["ids"]
    processed = 0
    for start in range(0, len(all_ids), BATCH_SIZE):
        batch = delta_collection.get(
            ids=all_ids[start:start + BATCH_SIZE],
            include=["embeddings", "documents", "metadatas"],
        )
        output_collection.upsert(
            ids=batch["ids"],
            embeddings=batch["embeddings"],
            documents=batch["documents"],
            metadatas=batch["metadatas"],
        )
        processed += len(batch["ids"])
        del batch
    return processed


def output_collection_for(client, outputs: dict, delta_collection):
    """The output collection of the same name, created with the delta's configuration once."""
    name = delta_collection.name
    if name not in outputs:
        outputs[name] = client.get_or_create_collection(
            name,
            configuration=delta_collection.configuration,
            metadata=delta_collection.metadata,
        )
    return outputs[name]


def process_delta(path: str, client, outputs: dict, close: bool) -> int:
    delta_client = chromadb.PersistentClient(path=path)
    try:
        return sum(
            copy_collection(collection, output_collection_for(client, outputs, collection))
            for collection in delta_client.list_collections()
        )
    finally:
        if close:
            delta_client.close()
        del delta_client
        gc.collect()


def main(argv: list[str]) -> int:
    close = bool(argv) and argv[0] == "--close"
    if close:
        argv = argv[1:]
    if len(argv) < 2:
        print("usage: seed_compact.py [--close] <out dir> <delta dir>...", file=sys.stderr)
        return 2
    out_dir, delta_dirs = argv[0], argv[1:]
    started = time.perf_counter()
    client = chromadb.PersistentClient(path=out_dir)
    outputs: dict = {}
    records_read = 0
    for number, path in enumerate(delta_dirs, start=1):
        records_read += process_delta(path, client, outputs, close)
        if number % 10 == 0 or number == len(delta_dirs):
            print(f"[seed] {number}/{len(delta_dirs)} deltas, {records_read} records, "
                  f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    summary = {
        "deltas": len(delta_dirs),
        "collections": len(outputs),
        "recordsRead": records_read,
        "recordsWritten": sum(c.count() for c in outputs.values()),
        "seconds": round(time.perf_counter() - started, 3),
    }
    print(json.dumps(summary), flush=True)
    if close:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
