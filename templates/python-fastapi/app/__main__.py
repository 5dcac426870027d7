"""Entry point: `python -m app`. Runs uvicorn with a graceful, readiness-aware shutdown.

On SIGTERM (or Ctrl-C) /readyz turns 503 at once while requests are still served for
SHUTDOWN_DELAY_SECONDS, so that load balancers stop routing here; then uvicorn stops
accepting, lets in-flight requests finish and exits. A second signal stops at once.
"""

import logging
import signal
import threading

import uvicorn

from .lifecycle import Lifecycle
from .main import create_app
from .settings import Settings
from .telemetry import setup_logging, setup_tracing

log = logging.getLogger("app")


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, lifecycle: Lifecycle, drain_seconds: float) -> None:
        super().__init__(config)
        self.lifecycle = lifecycle
        self.drain_seconds = drain_seconds

    def handle_exit(self, sig: int, frame) -> None:  # called by uvicorn's signal handling
        if self.lifecycle.mark_draining():
            log.info("shutdown requested, draining", extra={"signal": signal.Signals(sig).name,
                                                            "drain_seconds": self.drain_seconds})
            timer = threading.Timer(self.drain_seconds, self._stop)
            timer.daemon = True
            timer.start()
        elif self.should_exit:
            self.force_exit = True
        else:
            self._stop()

    def _stop(self) -> None:
        self.should_exit = True


def main() -> None:
    settings = Settings.from_env()
    setup_logging(settings.log_level)
    provider = setup_tracing(settings.service_name)
    lifecycle = Lifecycle()
    config = uvicorn.Config(create_app(lifecycle), host=settings.host, port=settings.port,
                            log_config=None, access_log=False, lifespan="on",
                            timeout_graceful_shutdown=30)
    log.info("starting", extra={"service": settings.service_name, "port": settings.port})
    try:
        DrainingServer(config, lifecycle, settings.drain_seconds).run()
    finally:
        provider.shutdown()
    log.info("exited")


if __name__ == "__main__":
    main()
