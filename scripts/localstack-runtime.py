"""LocalStack's runtime (localstack.runtime.main), with one change: an open GetActivityTask long poll ends when
LocalStack shuts down. scripts/localstack starts LocalStack through this file.

Why: LocalStack 4.14.0 serves a long poll by sleeping in its request thread, a second at a time, for up to 60 s
(StepFunctionsProvider._pull_activity_task), whether or not the client is still connected. Request threads are not
daemons, so after SIGTERM the process stays alive until the last open poll runs out. After a test run, whose worker
JVMs leave polls open as they exit, that was up to a minute, and scripts/localstack sent SIGKILL after 30 s. Here the
poll also ends, empty, as soon as the runtime is stopping (an empty answer is what a poll that times out gets), so
SIGTERM ends LocalStack in about three seconds. Nothing else changes.
"""
import time

from localstack.runtime import events
from localstack.services.stepfunctions.provider import StepFunctionsProvider

LONG_POLL_SECONDS = 60  # as LocalStack's own loop, and as AWS holds a GetActivityTask


def _pull_activity_task(activity):
    deadline = time.monotonic() + LONG_POLL_SECONDS
    while time.monotonic() < deadline and not events.infra_stopping.is_set():
        try:
            return activity.get_task()
        except IndexError:
            events.infra_stopping.wait(1)  # a second between looks, as LocalStack's loop; shutdown wakes it at once
    return None


if not callable(getattr(StepFunctionsProvider, "_pull_activity_task", None)):
    raise SystemExit("scripts/localstack-runtime.py: this LocalStack has no StepFunctionsProvider._pull_activity_task;"
                     " it was written for 4.14.0 (requirements/localstack.txt)")
StepFunctionsProvider._pull_activity_task = staticmethod(_pull_activity_task)

if __name__ == "__main__":
    from localstack.runtime.main import main

    main()
