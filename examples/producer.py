"""A producer of deltas for Chroma Compactor, as a service that embeds documents would run it.

It writes one delta with chromadb, closes the client, uploads the delta's files to S3 with boto3, and commits it by
writing the marker deltas/<name>/_delta.json last. Until the marker is there, the compactor leaves the delta alone;
once it is, the delta merges at its sequence, whatever its name and whenever it arrives.

    python examples/producer.py --bucket my-compactor-bucket [--lineage words] [--endpoint-url http://127.0.0.1:4566]
                                [--name NAME] [--sequence N] [--records 50] [--seed 7] [--out DIR]

Credentials come from boto3's default chain (environment, profile, role). The records are made up (seeded random
vectors), so that the example runs anywhere; a real producer puts its own embeddings in.
"""

import argparse
import datetime
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import time

import boto3
import chromadb
import numpy as np

MARKER = "_delta.json"


def write_delta(path, records, seed, collection="receipt_words", dim=384):
    """chromadb writes the delta; closing the client flushes it, so that every file is final before the upload."""
    rng = np.random.default_rng(seed)
    client = chromadb.PersistentClient(path=path)
    col = client.get_or_create_collection(collection, configuration={"hnsw": {"space": "cosine"}})
    ids = [f"word-{seed}-{i:05d}" for i in range(records)]
    col.upsert(ids=ids,
               embeddings=rng.standard_normal((records, dim)).astype(np.float32),
               documents=[f"word {i} of receipt {seed}" for i in range(records)],
               metadatas=[{"receipt": seed, "line": i // 8, "confidence": float(rng.random())} for i in range(records)])
    client.close()
    return ids


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def commit(s3, bucket, key, folder, sequence, producer):
    """Uploads every file of the delta, then the marker that lists them: the marker is the commit."""
    files = []
    for root, _, names in os.walk(folder):
        for name in sorted(names):
            local = os.path.join(root, name)
            relative = os.path.relpath(local, folder).replace(os.sep, "/")
            files.append({"path": relative, "size": os.path.getsize(local), "sha256": sha256(local)})
            s3.upload_file(local, bucket, key + relative)
    marker = {
        "format": "chroma-compactor/delta",
        "version": 1,
        "sequence": sequence,
        "files": files,
        "producer": producer,
        "createdAt": datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z"),
    }
    s3.put_object(Bucket=bucket, Key=key + MARKER, Body=json.dumps(marker).encode("utf-8"))
    return marker


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--lineage", default="", help="the snapshot line: keys go under LINEAGE/")
    parser.add_argument("--endpoint-url", help="LocalStack or MinIO instead of AWS")
    parser.add_argument("--name", help="the delta's folder name (default: time-ordered and unique)")
    parser.add_argument("--sequence", type=int, help="its place in the write order (default: now, in ms)")
    parser.add_argument("--records", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", help="keep the delta in this folder (default: a temporary one, removed)")
    args = parser.parse_args()

    sequence = args.sequence if args.sequence is not None else time.time_ns() // 1_000_000
    name = args.name or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(4)
    key = (args.lineage + "/" if args.lineage else "") + f"deltas/{name}/"
    folder = args.out or tempfile.mkdtemp(prefix="delta-")
    try:
        write_delta(folder, args.records, args.seed)
        s3 = boto3.client("s3", endpoint_url=args.endpoint_url)
        marker = commit(s3, args.bucket, key, folder, sequence, "examples/producer.py")
        print(f"committed s3://{args.bucket}/{key} ({len(marker['files'])} files, sequence {sequence})")
    finally:
        if not args.out:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
