"""Call every kitchen-sink endpoint over the raw wire protocol (no client library) and check results.

    <gradio venv>/bin/python tools/probe_app.py http://127.0.0.1:PORT/ [--show MSGS] [--auth user:pw]

Speaks whatever the server's config says: ``ws`` (3.x), ``sse`` (4.0-4.8) or ``sse_v1``..``sse_v3``
(4.9+), applying generator diffs itself.  It needs only httpx (and ``websockets`` for 3.x), which
every gradio venv has, so it is run with a gradio venv's python.  It is a cross-check of the
example app and a record of what each server version puts on the wire; it is not a test of our
client.  Exit code 0 when every check passes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import json
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx

def png_2x1() -> bytes:
    """A 2x1 RGB PNG: red, blue (PIL comes with every gradio venv)."""
    import io

    from PIL import Image

    im = Image.new("RGB", (2, 1))
    im.putpixel((0, 0), (255, 0, 0))
    im.putpixel((1, 0), (0, 0, 255))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


class Probe:
    def __init__(self, url: str, auth: str | None, show: bool) -> None:
        self.root = url.rstrip("/")
        self.show = show
        self.http = httpx.Client(timeout=60, trust_env=False)
        if auth:
            user, _, pw = auth.partition(":")
            r = self.http.post(self.root + "/login", data={"username": user, "password": pw})
            assert r.status_code == 200, (r.status_code, r.text)
        self.config = self.http.get(self.root + "/config").json()
        self.protocol = self.config.get("protocol", "ws")
        self.prefix = self.root + self.config.get("api_prefix", "")
        self.session = uuid.uuid4().hex
        deps = self.config["dependencies"]
        self.fn = {d["api_name"]: d.get("id", i) for i, d in enumerate(deps) if d["api_name"]}
        self.gr3 = self.protocol == "ws"
        self.failures: list[str] = []
        self.seen_msgs: dict[str, list[str]] = {}

    # ------------------------------------------------------------------ files
    def upload(self, name: str, content: bytes, as_image: bool = False) -> Any:
        if self.gr3:
            mime = "image/png" if name.endswith(".png") else "text/plain"
            data_url = f"data:{mime};base64," + base64.b64encode(content).decode()
            if as_image:  # 3.x gr.Image takes a bare base64 data URL
                return data_url
            return {"name": name, "data": f"data:{mime};base64," + base64.b64encode(content).decode(),
                    "is_file": False, "orig_name": name, "size": len(content)}
        r = self.http.post(self.prefix + "/upload", files={"files": (name, content)})
        r.raise_for_status()
        path = r.json()[0]
        fd: dict[str, Any] = {"path": path, "orig_name": name, "size": len(content)}
        if self.protocol in ("sse_v2.1", "sse_v3"):
            fd["meta"] = {"_type": "gradio.FileData"}
        return fd

    def download(self, fd: Any) -> bytes:
        if isinstance(fd, str) and fd.startswith("data:"):
            return base64.b64decode(fd.split(",", 1)[1])
        if self.gr3:
            if fd.get("data"):
                return base64.b64decode(fd["data"].split(",", 1)[1])
            url = f"{self.root}/file={fd['name']}"
        else:
            url = fd.get("url") or f"{self.prefix}/file={fd['path']}"
        r = self.http.get(url)
        r.raise_for_status()
        return r.content

    # ------------------------------------------------------------------ calls
    def call(self, api_name: str, data: list[Any]) -> dict[str, Any]:
        """Returns {"messages": [...], "final": msg, "outputs": [full data per yield...]}"""
        fn_index = self.fn[api_name]
        if self.protocol == "ws":
            msgs = asyncio.run(self._call_ws(fn_index, data))
        elif self.protocol == "sse":
            msgs = self._call_sse_v0(fn_index, data)
        else:
            msgs = self._call_sse_v1(fn_index, data)
        outputs: list[list[Any]] = []
        for m in msgs:
            if m["msg"] in ("process_generating", "process_completed") and m.get("success", True) \
                    and "data" in (m.get("output") or {}):
                new = m["output"]["data"]
                if outputs and m["msg"] == "process_generating" and self.protocol in ("sse_v2", "sse_v2.1", "sse_v3"):
                    new = [apply_diff(prev, ops) for prev, ops in zip(outputs[-1], new)]
                outputs.append(new)
        self.seen_msgs[api_name] = [m["msg"] for m in msgs]
        if self.show:
            for m in msgs:
                print("   ", json.dumps(m)[:300])
        return {"messages": msgs, "final": msgs[-1] if msgs else None, "outputs": outputs}

    def _call_sse_v1(self, fn_index: int, data: list[Any]) -> list[dict[str, Any]]:
        r = self.http.post(self.prefix + "/queue/join",
                           json={"data": data, "fn_index": fn_index, "session_hash": self.session})
        if r.status_code != 200:
            return [{"msg": "join_failed", "status": r.status_code, "body": r.json()}]
        event_id = r.json()["event_id"]
        msgs = []
        with self.http.stream("GET", self.prefix + "/queue/data",
                              params={"session_hash": self.session}) as resp:
            for line in resp.iter_lines():
                if not line.startswith("data:"):
                    continue
                m = json.loads(line[5:])
                if m.get("event_id") not in (event_id, None) or m["msg"] == "heartbeat":
                    continue
                msgs.append(m)
                if m["msg"] == "process_completed" and m.get("event_id") == event_id:
                    break
        return msgs

    def _call_sse_v0(self, fn_index: int, data: list[Any]) -> list[dict[str, Any]]:
        msgs = []
        with self.http.stream("GET", self.prefix + "/queue/join",
                              params={"fn_index": fn_index, "session_hash": self.session}) as resp:
            for line in resp.iter_lines():
                if not line.startswith("data:"):
                    continue
                m = json.loads(line[5:])
                if m["msg"] == "heartbeat":
                    continue
                msgs.append(m)
                if m["msg"] == "send_data":
                    r = self.http.post(self.prefix + "/queue/data", json={
                        "event_id": m["event_id"], "data": data, "fn_index": fn_index,
                        "session_hash": self.session})
                    r.raise_for_status()
                if m["msg"] in ("process_completed", "queue_full"):
                    break
        return msgs

    async def _call_ws(self, fn_index: int, data: list[Any]) -> list[dict[str, Any]]:
        import websockets

        ws_url = self.root.replace("http", "ws", 1) + "/queue/join"
        cookies = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        extra = {"extra_headers": {"Cookie": cookies}} if cookies else {}
        msgs = []
        async with websockets.connect(ws_url, open_timeout=10, max_size=2**30, **extra) as ws:
            async for raw in ws:
                m = json.loads(raw)
                msgs.append(m)
                if m["msg"] == "send_hash":
                    await ws.send(json.dumps({"fn_index": fn_index, "session_hash": self.session}))
                elif m["msg"] == "send_data":
                    await ws.send(json.dumps({"data": data, "fn_index": fn_index,
                                              "session_hash": self.session, "event_data": None}))
                elif m["msg"] in ("process_completed", "queue_full"):
                    break
        return msgs

    # ------------------------------------------------------------------ checks
    def expect(self, name: str, ok: bool, detail: Any) -> None:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {str(detail)[:200]}")
        if not ok:
            self.failures.append(name)

    def result(self, api: str, data: list[Any]) -> Any:
        res = self.call(api, data)
        final = res["final"]
        if final and final.get("msg") == "process_completed" and final.get("success"):
            return final["output"]["data"][0]
        return ("ERROR", final)

    def error_of(self, api: str, data: list[Any]) -> dict[str, Any]:
        final = self.call(api, data)["final"] or {}
        return {"success": final.get("success"), "output": final.get("output"), "title": final.get("title")}

    def run(self) -> int:
        c = self.config
        print(f"gradio {c.get('version')} protocol={self.protocol} api_prefix={c.get('api_prefix')!r} "
              f"connect_heartbeat={c.get('connect_heartbeat')} enable_queue={c.get('enable_queue')}")
        r = self.result("calculator", [3, "add", 4])
        self.expect("calculator 3+4", r == 7, r)
        e = self.error_of("calculator", [1, "divide", 0])
        self.expect("calculator /0", e["success"] is False and "Cannot divide by zero!" in json.dumps(e), e)
        self.expect("echo", self.result("echo", ["héllo"]) == "héllo", "héllo")
        self.expect("add", self.result("add", [1, 5]) == 6, "1+5")
        res = self.call("count", [3])
        seq = [o[0] for o in res["outputs"]]
        self.expect("count", seq[-1] == "0 1 2" and "0 1" in seq, seq)
        res = self.call("count_fast", [100])
        self.expect("count_fast", res["outputs"][-1][0] == 99 and len(res["outputs"]) >= 100,
                    f"{len(res['outputs'])} outputs, last {res['outputs'][-1]}")
        h1 = self.result("chat", ["hi", None])
        h2 = self.result("chat", ["again", None])
        self.expect("chat state", isinstance(h2, list) and len(h2) == 4 and len(h1) == 2, h2)
        n1 = self.result("counter", [None])
        n2 = self.result("counter", [None])
        self.expect("counter state", (n1, n2) == (1, 2), (n1, n2))

        img = self.upload("tiny.png", png_2x1(), as_image=True)
        out = self.result("image_flip", [img])
        try:
            from PIL import Image
            import io
            im = Image.open(io.BytesIO(self.download(out))).convert("RGB")
            ok = im.getpixel((0, 0))[2] > 200 and im.getpixel((1, 0))[0] > 200
            self.expect("image_flip", ok, [im.getpixel((0, 0)), im.getpixel((1, 0))])
        except Exception as exc:  # noqa: BLE001
            self.expect("image_flip", False, (out, exc))
        fd = self.upload("hello.txt", b"abc")
        out = self.result("file_roundtrip", [fd])
        try:
            self.expect("file_roundtrip", self.download(out) == b"cba", out)
        except Exception as exc:  # noqa: BLE001
            self.expect("file_roundtrip", False, (out, exc))
        info = self.result("file_info", [self.upload("hello.txt", b"abcd")])
        self.expect("file_info", isinstance(info, dict) and info.get("size") == 4, info)

        res = self.call("progress", [3])
        kinds = [m["msg"] for m in res["messages"]]
        self.expect("progress", "progress" in kinds and res["outputs"][-1][0] == "done 3", kinds)
        e = self.error_of("fail", ["bad thing"])
        self.expect("fail", e["success"] is False and "bad thing" in json.dumps(e), e)
        e = self.error_of("crash", [])
        self.expect("crash", e["success"] is False, e)
        res = self.call("notify", ["x"])
        logs = [m for m in res["messages"] if m["msg"] == "log"]
        self.expect("notify", res["outputs"][-1][0] == "ok" and (self.gr3 or len(logs) == 2),
                    [(m.get("level"), m.get("log")) for m in logs])
        self.expect("slow", self.result("slow", [0.2]) == "slept 0.2", "0.2")
        res = self.call("sleep_gen", [3, 0.01])
        self.expect("sleep_gen", [o[0] for o in res["outputs"]][-1] == 2, res["outputs"])
        jp = self.result("json_path", [])
        if isinstance(jp, dict) and jp != {"path": "notafile.txt"} and str(jp.get("path", "")).endswith("/notafile.txt"):
            # gradio 4.x before 4.22 (seen on 4.21.0) walks gr.JSON output for FileData-shaped dicts and
            # rewrites {"path": ...} into a FileData with a url: a server quirk, not an app bug
            print(f"QUIRK json_path: server rewrote the dict into FileData: {json.dumps(jp)[:200]}")
        elif isinstance(jp, tuple) and "No such file or directory" in json.dumps(jp[1]) and "notafile.txt" in json.dumps(jp[1]):
            # gradio 4.x before 4.21 (seen on 4.14.0, 4.20.1) treats the dict as a file to move into its cache
            print(f"QUIRK json_path: server treats the dict as a file and fails: {json.dumps(jp[1]['output'])[:200]}")
        else:
            self.expect("json_path", jp == {"path": "notafile.txt"}, jp)
        if "validate" in self.fn:
            self.expect("validate ok", self.result("validate", [3]) == 3, "3")
            bad = self.call("validate", [-1])["final"]
            self.expect("validate rejects", bad.get("status") == 422, bad)
        if "hidden" in self.fn:
            self.expect("hidden", self.result("hidden", ["a"]) == "hidden:a", "")
        if "secret" in self.fn:
            self.expect("secret (server does not enforce private)", self.result("secret", ["a"]) == "secret:a", "")
        print("message kinds seen:", json.dumps({k: sorted(set(v)) for k, v in self.seen_msgs.items()}))
        print(f"{len(self.failures)} failed: {self.failures}" if self.failures else "all endpoints ok")
        return 1 if self.failures else 0


def apply_diff(value: Any, ops: list[Any]) -> Any:
    value = copy.deepcopy(value)

    def walk(obj: Any, path: list[Any], action: str, v: Any) -> Any:
        if not path:
            if action == "replace":
                return v
            if action == "append":
                return obj + v
            raise ValueError(action)
        key, rest = path[0], path[1:]
        if rest:
            obj[key] = walk(obj[key], rest, action, v)
        elif action == "replace":
            obj[key] = v
        elif action == "append":
            obj[key] += v
        elif action == "add":
            if isinstance(obj, list):
                obj.insert(key, v)
            else:
                obj[key] = v
        elif action == "delete":
            del obj[key]
        return obj

    for action, path, v in ops:
        value = walk(value, list(path), action, v)
    return value


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--auth")
    ap.add_argument("--show", action="store_true", help="print every message")
    args = ap.parse_args()
    tempfile.tempdir = tempfile.mkdtemp(prefix="probe_")
    return Probe(args.url, args.auth, args.show).run()


if __name__ == "__main__":
    sys.exit(main())
