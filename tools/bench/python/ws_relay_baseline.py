"""A minimal signaling relay on Python `websockets` (asyncio), the baseline of `crow-bench signaling`.

The same minimal protocol as the gateway's relay path, nothing more:
  * connect to /calls/ws?room=<name> (no tokens, no ledger, no limits);
  * the server answers {"type":"welcome","peerId":"<16 hex>","peers":[...]};
  * {"type":"signal","to":"<peer>","data":{...}} is relayed to that peer of the same room as
    {"type":"signal","from":"<sender>","data":{...}};
  * {"type":"ping"} gets {"type":"pong"}; anything else gets an {"type":"error",...}.

Prints "... listening on port <n>" once it accepts connections. Exits on SIGTERM/SIGINT, and by itself
when the process that started it goes away.
"""

import argparse
import asyncio
import json
import os
import secrets
import signal
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

rooms: dict[str, dict[str, object]] = {}


def dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def error(code: str, message: str) -> str:
    return dumps({"type": "error", "code": code, "message": message})


async def handler(connection) -> None:
    query = parse_qs(urlsplit(connection.request.path).query)
    room_name = (query.get("room") or [""])[0]
    if not room_name or len(room_name) > 64:
        await connection.close(1008, "room is missing")
        return
    room = rooms.setdefault(room_name, {})
    peer_id = secrets.token_hex(8)
    others = list(room)
    room[peer_id] = connection
    try:
        await connection.send(dumps({"type": "welcome", "peerId": peer_id, "peers": others}))
        async for text in connection:
            try:
                message = json.loads(text)
            except ValueError:
                await connection.send(error("invalid_json", "a message is one JSON object"))
                continue
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "signal":
                target = room.get(message.get("to"))
                data = message.get("data")
                if target is None or not isinstance(data, dict):
                    await connection.send(error("invalid_message", "unknown peer or bad data"))
                    continue
                try:
                    await target.send(dumps({"type": "signal", "from": peer_id, "data": data}))
                except ConnectionClosed:
                    pass  # the target left; the sender's socket is fine
            elif kind == "ping":
                await connection.send('{"type":"pong"}')
            else:
                await connection.send(error("unknown_type", "unknown message type"))
    except ConnectionClosed:
        pass
    finally:
        room.pop(peer_id, None)
        if not room:
            rooms.pop(room_name, None)


async def exit_with_parent(stop: asyncio.Future) -> None:
    parent = os.getppid()
    while not stop.done():
        await asyncio.sleep(1)
        if os.getppid() != parent:
            stop.set_result(None)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    # A parent started from a Swift concurrency or NIO thread passes on a mask that blocks SIGTERM.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, lambda: stop.done() or stop.set_result(None))
    # Like the gateway: 64 KiB messages, no compression, a ping every 30 s.
    async with serve(handler, args.host, args.port, compression=None, max_size=65_536, ping_interval=30) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"ws_relay_baseline listening on port {port}", flush=True)
        watcher = asyncio.create_task(exit_with_parent(stop))
        await stop
        watcher.cancel()


if __name__ == "__main__":
    asyncio.run(main())
