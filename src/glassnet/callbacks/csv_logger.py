"""CSVLogger: one row of logs per epoch in a CSV file, flushed as it goes."""

from __future__ import annotations

import csv
import os
from typing import IO, Any

from .. import distributed
from .base import Callback, Logs

__all__ = ["CSVLogger"]


class CSVLogger(Callback):
    """Append ``epoch,loss,...`` rows to ``filename``; the header comes from the first epoch's logs.

    Args:
        separator: the field separator.
        append: continue an existing file (a resumed training) instead of starting a new one.

    In a distributed fit only rank 0 writes the file.
    """

    def __init__(
        self, filename: str | os.PathLike[str], separator: str = ",", append: bool = False
    ) -> None:
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = append
        self.file: IO[str] | None = None
        self.writer: Any = None
        self.keys: list[str] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.file = None
        if (
            not distributed.is_main()
        ):  # in a distributed fit rank 0 writes (every process has the same logs)
            return
        has_rows = (
            self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        )
        self.file = open(self.filename, "a" if self.append else "w", newline="")
        self.keys = None
        self.header_written = has_rows

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.file is None:
            return
        logs = logs or {}
        if self.keys is None:
            self.keys = list(logs)
            self.writer = csv.writer(self.file, delimiter=self.separator)
            if not self.header_written:
                self.writer.writerow(["epoch", *self.keys])
        self.writer.writerow([epoch, *(logs.get(key, "") for key in self.keys)])
        self.file.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
