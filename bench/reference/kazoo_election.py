#!/usr/bin/python3
"""The reference election of the benchmarks: kazoo's Election recipe (Debian's python3-kazoo)
driving the same Jenkins stand-in as jenkins-ha (test/fixtures/jenkins-standin.js).

    /usr/bin/python3 bench/reference/kazoo_election.py --zk HOST:PORT --path /ref/x/election --id a [--session-ms 2000]
                                                       [--ca CA.pem --cert CLIENT.pem --key CLIENT-KEY.pem]
    env: JENKINS_HOME, REF_JENKINS_COMMAND (run with /bin/sh -c when elected)

It joins the election (one sequential ephemeral znode, kazoo's Lock); when elected it spawns the
stand-in and keeps it until SIGTERM, then stops it (SIGTERM, wait) and leaves (the znode is
deleted, the next contender wakes). A standby that gets SIGTERM cancels its bid and leaves.
Nothing is fenced: that is the point of the comparison (jenkins-ha does more on the way). The one
thing it borrows from jenkins-ha's shim is that Jenkins does not outlive it: the stand-in is
spawned with PR_SET_PDEATHSIG=SIGTERM, so after a SIGKILL of this process its Jenkins stops, and
the standby takes over when ZooKeeper expires the session (about T), as in jenkins-ha.

stdout: one JSON object per line {"event", "mono", ...}; mono is CLOCK_MONOTONIC in ms, the clock of
the controllers' logs and the stand-in's journal. Events: joined (znode created), elected,
jenkins.started {pid}, jenkins.stopped {code}, left.
"""
import argparse
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time

from kazoo.client import KazooClient

PR_SET_PDEATHSIG = 1


def emit(event, **fields):
    fields.update(event=event, mono=time.monotonic() * 1000.0)
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def pdeathsig():
    # Runs in the child before exec: it gets SIGTERM when this process dies (survives exec).
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--zk", required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--id", required=True)
    ap.add_argument("--session-ms", type=int, default=10000)
    # TLS (ZooKeeper's secureClientPort with ssl.clientAuth=need): the CA and a client certificate.
    ap.add_argument("--ca")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    a = ap.parse_args()
    command = os.environ["REF_JENKINS_COMMAND"]

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    tls = dict(use_ssl=True, ca=a.ca, certfile=a.cert, keyfile=a.key) if a.ca else {}
    client = KazooClient(hosts=a.zk, timeout=a.session_ms / 1000.0, **tls)
    client.start()
    client.ensure_path(a.path)
    election = client.Election(a.path, a.id)

    # kazoo says nothing when its contender znode exists: wrap create() to tell.
    create = client.create

    def create_and_tell(path, *args, **kw):
        node = create(path, *args, **kw)
        if path.startswith(a.path + "/"):
            emit("joined", node=node)
        return node

    client.create = create_and_tell

    def lead():
        emit("elected")
        jenkins = subprocess.Popen(["/bin/sh", "-c", command], preexec_fn=pdeathsig)
        emit("jenkins.started", pid=jenkins.pid)
        while not stop.is_set() and jenkins.poll() is None:
            stop.wait(0.2)
        if jenkins.poll() is None:
            jenkins.terminate()
        code = jenkins.wait()
        emit("jenkins.stopped", code=code)

    worker = threading.Thread(target=lambda: election.run(lead), daemon=True)
    worker.start()
    while not stop.is_set():
        stop.wait(1.0)
    election.cancel()
    worker.join(60)
    client.stop()
    client.close()
    emit("left")


if __name__ == "__main__":
    main()
