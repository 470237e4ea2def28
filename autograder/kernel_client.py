"""The client every grading kernel is driven with: ready as soon as the kernel is, not 0.2 s later.

jupyter_client's ``wait_for_ready`` ends by reading iopub until it has been silent
for 0.2 s, which each graded submission pays in wall time. This client waits for
the kernel's reply to ``kernel_info`` and then for that request's own ``idle`` on
iopub: the kernel has answered, its iopub is connected, and every message sent
before the idle has been read; nothing the notebook's cells send can be lost.

>>> PromptKernelClient.wait_for_ready.__doc__.split(":")[0]
'Return once the kernel has answered kernel_info and iopub has delivered its idle'
"""

from __future__ import annotations

import time
from queue import Empty

import zmq
from jupyter_client.asynchronous import AsyncKernelClient

ROUND = 1.0  # seconds one kernel_info round may take before it is asked again (jupyter_client waits as long)
RETRY = 0.05  # seconds without the idle before kernel_info is asked again (iopub's subscription was late)
RECONNECT_MS = 5  # how often a socket retries a kernel that has not bound its own yet (zmq's default: 100 ms)


class PromptKernelClient(AsyncKernelClient):
    """An ``AsyncKernelClient`` whose ``wait_for_ready`` does not wait for iopub to fall silent."""

    def _context_default(self) -> zmq.asyncio.Context:
        # the client connects as soon as the kernel is launched, and the kernel binds its sockets some 0.1 s later:
        # with zmq's default interval each channel then waits up to 100 ms more for its next attempt
        context = super()._context_default()
        context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
        return context

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Return once the kernel has answered kernel_info and iopub has delivered its idle: raise RuntimeError if
        the kernel dies first, or after ``timeout`` seconds."""
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            asked = {self.kernel_info()}
            reply = await self._message_for(self.shell_channel, asked, "kernel_info_reply", wait=ROUND)
            if reply is not None:
                # a subscription takes a moment to reach the kernel, and an idle sent before it is lost: measured,
                # 4 kernels in 10 lost their first one; ask again until an idle arrives
                for _ in range(round(ROUND / RETRY)):
                    if await self._message_for(self.iopub_channel, asked, "status", "idle", wait=RETRY):
                        self._handle_kernel_info_reply(reply)
                        seal = getattr(self.parent, "seal_ipc_dir", None)  # a sandboxed kernel's, before any cell
                        if seal is not None:
                            seal()
                        return
                    asked.add(self.kernel_info())
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    @staticmethod
    async def _message_for(channel, msg_ids: set, msg_type: str, state: str | None = None, *, wait: float):
        """The message of ``msg_type`` (and execution ``state``) answering one of ``msg_ids`` on ``channel`` within
        ``wait`` seconds, or None; what comes before it (earlier replies, startup status) is dropped."""
        end = time.monotonic() + wait
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await channel.get_msg(timeout=left)
            except Empty:
                return None
            if (msg["parent_header"].get("msg_id") in msg_ids and msg["msg_type"] == msg_type
                    and (state is None or msg["content"].get("execution_state") == state)):
                return msg
        return None
