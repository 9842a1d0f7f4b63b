"""A reader of Chroma Compactor's snapshots, as a search service would run it beside `compactor pull`.

`compactor pull --to DIR --watch 60` keeps DIR/current pointing at a verified copy of the latest snapshot. This
reader opens DIR/current with chromadb, answers from it, and reopens it when a pull has moved current on:

    python examples/reader.py --dir DIR                     # once: the collections and their counts, as JSON
    python examples/reader.py --dir DIR --every 30          # the same every 30 s, reopening when current moved
    python examples/reader.py --dir DIR --commands          # one JSON answer per command read on stdin:
        status                        the copy it has open, and each collection's count
        records <collection>          every id with its document
        query <collection> <n> <x,y,...>   the n nearest ids to a vector
        refresh                       reopen if current moved (says whether it did)

Why a private copy: chromadb writes into a folder it opens (a row in chroma.sqlite3 at every start, and the queue
and index if anything is written through it), so opening DIR/<batch> itself would change the verified copy that
other readers share and that pull keeps. The reader copies the folder current names into a temporary folder of its
own and opens that. A pull keeps the previous copy in DIR, so a reader that is still copying it when current moves
finishes its copy; the old client keeps answering until the new one is open, then it is closed and its copy deleted.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import chromadb


class PulledSnapshot:
    """The snapshot DIR/current names, open in a private copy; refresh() moves to a newer one."""

    def __init__(self, folder):
        self.folder = folder
        self.batch = None
        self.client = None
        self._copy = None

    def current(self):
        """The copy DIR/current names now (a folder name in DIR), or None before the first pull."""
        link = os.path.join(self.folder, "current")
        return os.readlink(link) if os.path.islink(link) else None

    def refresh(self):
        """Opens the copy current names if it is not the one open. True when it reopened."""
        for _ in range(3):
            batch = self.current()
            if batch is None or batch == self.batch:
                return False
            private = tempfile.mkdtemp(prefix=f"reader-{batch}-")
            try:
                # copied by its own name, not through the link: a pull may move current meanwhile
                shutil.copytree(os.path.join(self.folder, batch), os.path.join(private, "snapshot"))
            except (FileNotFoundError, shutil.Error):
                shutil.rmtree(private, ignore_errors=True)
                continue  # removed by a pull two steps on: take the newer one
            client = chromadb.PersistentClient(path=os.path.join(private, "snapshot"))
            old_client, old_copy = self.client, self._copy
            self.client, self._copy, self.batch = client, private, batch
            if old_client is not None:
                old_client.close()
                shutil.rmtree(old_copy, ignore_errors=True)
            return True
        raise RuntimeError(f"{self.folder}/current kept moving while it was copied")

    def status(self):
        return {"batch": self.batch,
                "collections": {c.name: c.count() for c in sorted(self.client.list_collections(),
                                                                   key=lambda c: c.name)}}

    def records(self, collection):
        got = self.client.get_collection(collection).get(include=["documents"])
        return {"batch": self.batch, "records": dict(zip(got["ids"], got["documents"]))}

    def query(self, collection, n, vector):
        res = self.client.get_collection(collection).query(query_embeddings=[vector], n_results=n,
                                                           include=["distances"])
        return {"batch": self.batch, "ids": res["ids"][0], "distances": res["distances"][0]}

    def close(self):
        if self.client is not None:
            self.client.close()
            shutil.rmtree(self._copy, ignore_errors=True)
            self.client = None


def answer(snapshot, line):
    words = line.split()
    if not words:
        return None
    if words[0] == "status":
        return snapshot.status()
    if words[0] == "records" and len(words) == 2:
        return snapshot.records(words[1])
    if words[0] == "query" and len(words) == 4:
        return snapshot.query(words[1], int(words[2]), [float(x) for x in words[3].split(",")])
    if words[0] == "refresh":
        return {"reopened": snapshot.refresh(), "batch": snapshot.batch}
    return {"error": f"unknown command: {line.strip()}"}


def main(argv):
    parser = argparse.ArgumentParser(description="Open the snapshot that `compactor pull` keeps at DIR/current.")
    parser.add_argument("--dir", required=True, help="the folder given to compactor pull --to")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--every", type=float, metavar="SECONDS", help="print the status every SECONDS, reopening"
                      " when current moved, until stopped")
    mode.add_argument("--commands", action="store_true", help="answer commands read on stdin (see the module doc)")
    args = parser.parse_args(argv)

    snapshot = PulledSnapshot(args.dir)
    if not snapshot.refresh():
        print(f"error: nothing pulled into {args.dir} yet (run compactor pull --to {args.dir})", file=sys.stderr)
        return 1
    try:
        if args.commands:
            print(json.dumps({"ready": True, "batch": snapshot.batch}), flush=True)
            for line in sys.stdin:
                if line.strip() == "quit":
                    break
                out = answer(snapshot, line)
                if out is not None:
                    print(json.dumps(out, sort_keys=True), flush=True)
        elif args.every:
            while True:
                snapshot.refresh()
                print(json.dumps(snapshot.status(), sort_keys=True), flush=True)
                time.sleep(args.every)
        else:
            print(json.dumps(snapshot.status(), sort_keys=True))
    except KeyboardInterrupt:
        pass
    finally:
        snapshot.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
