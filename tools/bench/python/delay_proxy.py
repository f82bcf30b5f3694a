"""A TCP proxy on 127.0.0.1 that makes a loopback relay look like one across a network: every
connection costs one round trip before it is open (the TCP handshake), and every byte reaches the other
side half a round trip later, in both directions, in order. For `crow-bench invites --rtt-ms`."""
import asyncio
import threading


class DelayProxy:
    def __init__(self, upstream_host, upstream_port, rtt_ms):
        self.upstream = (upstream_host, upstream_port)
        self.half = rtt_ms / 2000
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(10)
        self.url = f"ws://127.0.0.1:{self.port}"

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)

        async def start():
            self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]
            ready.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()

    async def _handle(self, client_reader, client_writer):
        try:
            await asyncio.sleep(2 * self.half)  # the handshake's round trip
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
            await asyncio.gather(
                self._pipe(client_reader, upstream_writer),
                self._pipe(upstream_reader, client_writer),
                return_exceptions=True,
            )
        except (OSError, asyncio.CancelledError):
            client_writer.close()  # the relay is gone, or the proxy stops

    async def _pipe(self, reader, writer):
        """Copies bytes, each chunk delivered half a round trip after it was read (a queue keeps order
        and lets chunks overlap in flight, as on a wire)."""
        queue = asyncio.Queue()

        async def deliver():
            while True:
                due, data = await queue.get()
                if data is None:
                    break
                delay = due - self.loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
            writer.close()

        sender = asyncio.ensure_future(deliver())
        try:
            while data := await reader.read(65536):
                queue.put_nowait((self.loop.time() + self.half, data))
        finally:
            queue.put_nowait((self.loop.time() + self.half, None))
            await sender

    def stop(self):
        """Closes the port and every connection through it, and ends the proxy's thread."""
        async def shutdown():
            self.server.close()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
