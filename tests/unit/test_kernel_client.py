"""The grading kernels' client is ready as soon as the kernel has answered and its iopub delivered that answer's
idle; an idle lost to a late subscription makes it ask again rather than wait; its sockets retry a kernel that
has not bound its own yet every few milliseconds."""

from __future__ import annotations

import asyncio
from queue import Empty

from jupyter_client import AsyncKernelManager

import zmq

from autograder.kernel_client import RECONNECT_MS, PromptKernelClient


class FakeChannel:
    """A channel whose messages appear when the test says so."""

    def __init__(self):
        self.queue: list[dict] = []

    async def get_msg(self, timeout=None):
        if self.queue:
            return self.queue.pop(0)
        await asyncio.sleep(min(timeout or 0, 0.01))
        raise Empty


def message(msg_id, msg_type, state=None):
    content = {"protocol_version": "5.3"} if state is None else {"execution_state": state}
    return {"parent_header": {"msg_id": msg_id}, "msg_type": msg_type, "content": content}


class FakeKernel(PromptKernelClient):
    """Answers every kernel_info on shell; on iopub, the idle of the first request is lost (the subscription
    reached the kernel after it), later ones arrive."""

    def __init__(self):
        super().__init__()
        self.shell, self.iopub, self.asked = FakeChannel(), FakeChannel(), []

    @property
    def shell_channel(self):
        return self.shell

    @property
    def iopub_channel(self):
        return self.iopub

    def kernel_info(self):
        msg_id = f"info-{len(self.asked)}"
        self.asked.append(msg_id)
        self.shell.queue.append(message(msg_id, "kernel_info_reply"))
        if len(self.asked) > 1:
            self.iopub.queue += [message(msg_id, "status", "busy"), message(msg_id, "status", "idle")]
        return msg_id

    async def _async_is_alive(self):
        return True


def test_an_idle_lost_to_a_late_subscription_is_asked_for_again():
    client = FakeKernel()
    asyncio.run(client.wait_for_ready(timeout=5))
    assert client.asked == ["info-0", "info-1"]  # asked again, and the second idle was enough


def test_a_kernel_that_never_idles_times_out_with_the_reason():
    client = FakeKernel()
    client.kernel_info = lambda: client.asked.append("x") or "x"  # replies nowhere
    try:
        asyncio.run(client.wait_for_ready(timeout=0.1))
    except RuntimeError as exc:
        assert "didn't respond in 0.1 seconds" in str(exc)
    else:
        raise AssertionError("wait_for_ready returned for a kernel that never answered")


def test_a_real_kernel_is_ready_and_its_first_output_arrives():
    async def run():
        km = AsyncKernelManager(kernel_name="python3", client_class="autograder.kernel_client.PromptKernelClient")
        await km.start_kernel()
        client = km.client()
        assert isinstance(client, PromptKernelClient)
        client.start_channels()
        # its sockets retry a kernel that has not bound yet every few ms, not every 100 ms
        assert client.shell_channel.socket.getsockopt(zmq.RECONNECT_IVL) == RECONNECT_MS
        try:
            await client.wait_for_ready(timeout=60)
            reply = await client.execute_interactive("print('first output')", timeout=30,
                                                     output_hook=lambda msg: seen.append(msg))
            return reply
        finally:
            client.stop_channels()
            await km.shutdown_kernel(now=True)

    seen: list = []
    reply = asyncio.run(run())
    assert reply["content"]["status"] == "ok"
    assert any(m["msg_type"] == "stream" and m["content"]["text"] == "first output\n" for m in seen)
