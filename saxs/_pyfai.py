"""Importing pyFAI quietly: its OpenCL probe's notice is not for our users.

pyFAI imports silx, whose ``silx.opencl.common`` logs the WARNING "Unable to import pyOpenCl.
Please install it from ..." when pyopencl is absent. The reduction never uses OpenCL (it runs
pyFAI's Cython engines), so the notice is noise on every command's stderr. :func:`quiet_opencl_notice`
drops exactly that record from that one logger (every other silx or pyFAI message still reaches
the user); :mod:`saxs` calls it when it is imported, so it is in place before any module of the
package imports pyFAI, in the main process and in every worker process.
"""

from __future__ import annotations

import logging

#: The logger and the start of the message that are dropped.
OPENCL_LOGGER = "silx.opencl.common"
OPENCL_NOTICE = "Unable to import pyOpenCl"


class _DropOpenCLNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(OPENCL_NOTICE)


def quiet_opencl_notice() -> None:
    """Drop silx's "Unable to import pyOpenCl" warning (idempotent; other records pass)."""
    logger = logging.getLogger(OPENCL_LOGGER)
    if not any(isinstance(f, _DropOpenCLNotice) for f in logger.filters):
        logger.addFilter(_DropOpenCLNotice())
