"""`qa bench`: start-up, per-stage query latency, build speed, memory, HTTP latency and (with
`--scale`) vector search at larger sizes, measured in one run. A table, or JSON with `--json`.

Only the standard library and `qa.tools.user_error` are imported at module level: `qa --help`
builds this parser.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qa.tools.soak import add_arguments as add_soak_arguments
from qa.tools.soak import main as soak_main
from qa.tools.user_error import UserError

HEAVY = ("torch", "transformers", "sentence_transformers", "gradio")
PARTS = ("startup", "query", "build", "ingest", "http", "scale", "soak")
ON_REQUEST = ("scale", "soak")  # run only when asked for (`--scale`, `--parts soak`)
INGEST_DOCUMENTS = 1000
BACKENDS = ("onnx", "torch")
STAGES = ("embed", "dense", "lexical", "fusion", "answer", "total")
COLD_RUNS = 3
MILVUS_LITE_MAX = 100_000  # milvus-lite (a Python engine) takes minutes to fill beyond
APP_START_TIMEOUT = 120.0
# Runs `qa ARGV`, then reports the heavy modules loaded and the peak RSS of this process image
# (VmHWM: unlike ru_maxrss it does not inherit the forking parent's size across exec).
_PROBE = """import json, sys
from qa.tools.cli import main
try:
    sys.exit(main(sys.argv[1:]))
finally:
    kb = [int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM")]
    heavy = [m for m in {heavy!r} if m in sys.modules]
    print(json.dumps({{"heavy": heavy, "peak_kb": kb[0] if kb else 0}}), file=sys.stderr)
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The `qa bench` options."""
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--questions", type=Path, help="question file (default: the dev set)")
    p.add_argument("--rounds", type=int, default=3, help="passes over the questions (3)")
    p.add_argument("--scale", help="synthetic corpus sizes, e.g. 10000,100000,1000000")
    p.add_argument("--plot", type=Path, help="write the --scale plot here (PNG)")
    p.add_argument(
        "--milvus-lite",
        action="store_true",
        help=f"--scale: the whole ask on milvus-lite too (sizes up to {MILVUS_LITE_MAX:,})",
    )
    p.add_argument("--parts", help=f"comma list of {','.join(PARTS)} (default: all asked for)")
    p.add_argument(
        "--ingest-docs",
        type=int,
        default=INGEST_DOCUMENTS,
        help=f"generated mixed-format documents for the ingest figure ({INGEST_DOCUMENTS})",
    )
    add_soak_arguments(p)
    p.set_defaults(func=main)


def main(args) -> int:
    """Run the asked-for parts and print the results."""
    from qa.config import Settings

    parts = _parts(args)
    if "soak" in parts:  # an hour against a served app: alone, not beside the timings
        if parts != {"soak"}:
            raise UserError("the soak runs alone: --parts soak", 2)
        return soak_main(args)
    questions = _questions(args.questions or _default_questions())
    rounds = max(args.rounds, 1)
    report: dict = {"command": "qa " + " ".join(sys.argv[1:]), "machine": _machine()}
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        settings = fresh_index(Settings.from_env(), Path(tmp) / "index")
        env = dict(os.environ, QA_INDEX=str(settings.index_dir))
        if "startup" in parts:
            report["startup"] = startup(questions[0]["question"], env)
        if "query" in parts:
            report["query"] = query(settings, questions, rounds)
        if "build" in parts:
            report["build"] = build(settings, Path(tmp) / "scratch")
        if "ingest" in parts:
            report["ingest"] = ingest(settings, Path(tmp) / "generated", args.ingest_docs)
        if "http" in parts:
            report["http"] = http_latency(questions, rounds, env)
        if "scale" in parts:
            report["scale"] = scale(settings, args.scale, args.plot, args.milvus_lite)
    report["machine"]["load_average_1m_end"] = round(os.getloadavg()[0], 2)
    report["targets"] = targets(report)
    print(json.dumps(report) if args.json else render(report))
    return 0


def fresh_index(settings, target: Path):
    """Settings pointing at a fresh index in `target`: the configured index copied there and
    rebuilt incrementally (only changed texts are embedded), so a stale index is measurable."""
    from dataclasses import replace

    from qa.index.build import build_index

    if (settings.index_dir / "manifest.json").is_file():
        shutil.copytree(settings.index_dir, target)
    fresh = replace(settings, index_dir=target)
    build_index(fresh)
    return fresh


def startup(question: str, env: dict | None = None) -> dict:
    """New processes: `qa --help`, `qa build --check` and a cold `qa ask` per backend."""
    out = {
        "help": _cold(["--help"], env),
        "build_check": _cold(["build", "--check"], env),
    }
    for backend in BACKENDS:
        out[f"ask_{backend}"] = _cold(["ask", "--json", "--backend", backend, question], env)
    return out


def query(settings, questions: list[dict], rounds: int) -> dict:
    """In-process latency per stage for each backend, and bare embedding times."""
    from qa.answer.engine import QAEngine

    out: dict = {"questions": len(questions), "rounds": rounds}
    for backend in BACKENDS:
        began = time.perf_counter()
        engine = QAEngine.load(settings, check_fresh=False, backend=backend)
        if backend == "torch" and engine.embedder.backend == "onnx":  # an ONNX-only model:
            engine = _base_model_engine(engine)  # torch times the base model it came from
            out["torch_model"] = engine.embedder.model.model_id
        load_s = time.perf_counter() - began
        stages = _stage_times(engine, questions, rounds)
        embed = _bare_embed(engine.embedder, questions, rounds)
        out[backend] = {"load_s": round(load_s, 3), "stages": stages, "bare_embed": embed}
        if backend == "torch":
            out[backend]["bare_embed_1_thread"] = _torch_one_thread(engine, questions, rounds)
        else:
            one = type(engine.embedder)(engine.embedder.model, engine.embedder.export, threads=1)
            out[backend]["bare_embed_1_thread"] = _bare_embed(one, questions, rounds)
    onnx, torch = out["onnx"]["stages"]["total"], out["torch"]["stages"]["total"]
    out["speedup_p50"] = round(torch["p50"] / onnx["p50"], 2)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def _base_model_engine(engine):
    """`engine` with the base all-MiniLM-L6-v2 through sentence-transformers as its embedder:
    the torch reference for an ONNX-only model (the same shape, so the same work; timings
    only, its answers are not read)."""
    from qa.answer.engine import QAEngine
    from qa.index.embedding import BASE_MODEL, SentenceTransformerEmbedder, resolve_model

    return QAEngine(engine.index, SentenceTransformerEmbedder(resolve_model(BASE_MODEL)))


def build(settings, target: Path) -> dict:
    """`qa build` of the corpus into `target`: from scratch, then with nothing changed."""
    from dataclasses import replace

    from qa.index.build import build_index

    scratch = replace(settings, index_dir=target)
    full = build_index(scratch)
    again = build_index(scratch)
    return {
        "chunks": full.chunks,
        "sentences": full.sentences,
        "seconds": round(full.seconds, 2),
        "chunks_per_s": round(full.chunks / full.seconds, 1),
        "unchanged_rebuild_s": round(again.seconds, 2),
    }


def ingest(settings, target: Path, count: int) -> dict:
    """Read + clean + chunk `count` generated mixed-format documents (no embedding)."""
    from qa.ingest.clean import clean_document
    from qa.ingest.corpus import read_corpus
    from qa.ingest.sentences import split_sentences
    from qa.tools.ingest_bench import generate, measure, replan

    sentences = []
    for source in read_corpus(settings.corpus_dir):
        doc = clean_document(source.text, source.doc_id)
        sentences += [doc.text[a:b] for a, b in split_sentences(doc.text)]
    target.mkdir(parents=True)
    formats = generate(target, sentences, max(count, 1))
    read = measure(target, settings.chunk.max_chars)
    return {"formats": formats, **read, "rebuild": replan(target, target.parent / "index")}


def http_latency(questions: list[dict], rounds: int, env: dict | None = None) -> dict:
    """p50/p95 over loopback of the JSON route and the Gradio `ask` endpoint of `app.py`."""
    from qa.config import ROOT

    app = ROOT / "app.py"
    if not app.is_file() or "--port" not in app.read_text(encoding="utf-8"):
        return {"unavailable": f"{app} missing or without --port"}
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(app), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = _wait_ready(proc, port)
        if ready is not None:
            return {"unavailable": ready}
        return {
            "json_route": _json_route(port, questions, rounds),
            "gradio_ask": _gradio_ask(port, questions, rounds),
        }
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def scale(
    settings, sizes: str | None, plot_path: Path | None, milvus_lite: bool = False
) -> list[dict]:
    """Synthetic corpora of each size (see `qa.tools.scale`), optionally plotted; with
    `milvus_lite`, the whole ask on milvus-lite beside FAISS up to `MILVUS_LITE_MAX` chunks."""
    from qa.tools.scale import plot, run_scale

    numbers = [int(s.replace("_", "")) for s in (sizes or "10000").split(",") if s.strip()]
    rows = run_scale(numbers, settings.index_dir, milvus_max=MILVUS_LITE_MAX if milvus_lite else 0)
    if plot_path is not None:
        plot(rows, plot_path)
    return rows


# A machine is "busy" when its 1-minute load average per CPU is above this: absolute times are
# then inflated by the other work and are shown for reference, not judged.
BUSY_LOAD_PER_CPU = 0.5


def targets(report: dict) -> dict:
    """Each target of the speed issue that this run measured: the value, whether it is met,
    whether it is load-sensitive, and whether it counts as a verdict on this machine.

    Ratios (against the bare embedding or the torch backend, measured in the same run) survive
    a busy machine and are always verdicts. Absolute times were set on an idle machine: they
    are verdicts only when the machine was not busy during the run."""
    checks = {}
    q, s, h = report.get("query"), report.get("startup"), report.get("http", {})
    if q:
        total = q["onnx"]["stages"]["total"]["p50"]
        checks["answer_p50_ms<=5"] = _check(total, 5, "<=", absolute=True)
        checks["speedup_vs_torch>=2.5"] = _check(q["speedup_p50"], 2.5, ">=")
        if "bare_embed" in q["onnx"]:  # issue 3: a whole query within 1.5x embedding alone
            ratio = total / q["onnx"]["bare_embed"]["p50"]
            checks["query_vs_bare_embed<=1.5"] = _check(round(ratio, 3), 1.5, "<=")
    if s:
        checks["cold_ask_s<=1.5"] = _cold_check(s["ask_onnx"], 1.5)
        checks["help_s<=0.3"] = _cold_check(s["help"], 0.3)
    if isinstance(h.get("json_route"), dict) and "p50_ms" in h["json_route"]:
        route = h["json_route"]["p50_ms"]
        checks["json_route_p50_ms<=10"] = _check(route, 10, "<=", absolute=True)
        # The route's 10 ms target over the answer's 5 ms target, times the answer's 1.5x of
        # the bare embedding: the route within 3x the embedding measured in the same run.
        if q and "bare_embed" in q["onnx"]:
            ratio = route / q["onnx"]["bare_embed"]["p50"]
            checks["json_route_vs_bare_embed<=3"] = _check(round(ratio, 3), 3, "<=")
    for row in report.get("scale", []):
        if row.get("chunks") == 1_000_000 and "error" not in row:
            checks["1M_search_p50_ms<=5"] = _check(row["search_p50_ms"], 5, "<=", absolute=True)
            checks["1M_recall@10>=0.95"] = _check(row["recall_at_10"], 0.95, ">=")
            if "ask_p50_ms" in row:
                checks["1M_ask_p50_ms<=20"] = _check(row["ask_p50_ms"], 20, "<=", absolute=True)
    busy = machine_busy(report.get("machine", {}))
    for check in checks.values():
        check["verdict"] = not (check["load_sensitive"] and busy)
    return checks


def machine_busy(machine: dict) -> bool:
    """True when the load during the run (the higher of start and end) was high for its CPUs."""
    cpus = machine.get("cpus") or 1
    loads = [machine.get("load_average_1m", 0.0), machine.get("load_average_1m_end", 0.0)]
    return max(loads) / cpus > BUSY_LOAD_PER_CPU


def render(report: dict) -> str:
    """The report as a plain-text table."""
    m = report["machine"]
    lines = [f"command: {report['command']}", f"machine: {_render_machine(m)}"]
    if "startup" in report:
        lines.append("\nstart-up (new process, median of runs; peak RSS; heavy modules imported)")
        for name, r in report["startup"].items():
            heavy = ",".join(r["heavy_modules"]) or "none"
            heavy += f"  (exit {r['exit_code']})" if r["exit_code"] else ""
            lines.append(
                f"  {name:<12} {r['median_s']:>7.3f} s  {r['peak_rss_mb']:>7.1f} MB  {heavy}"
            )
    if "query" in report:
        lines += _render_query(report["query"])
    if "build" in report:
        b = report["build"]
        lines.append(
            f"\nbuild: {b['chunks']} chunks + {b['sentences']} sentences in {b['seconds']} s "
            f"({b['chunks_per_s']} chunks/s); unchanged rebuild {b['unchanged_rebuild_s']} s"
        )
    if "ingest" in report:
        g = report["ingest"]
        per = ", ".join(f"{s} {f['documents_per_s']}/s" for s, f in g["per_format"].items())
        lines.append(
            f"\ningest (read, clean, chunk; no embedding): {g['documents']} generated documents, "
            f"{g['chunks']} chunks in {g['seconds']} s: {g['documents_per_s']} documents/s, "
            f"{g['chunks_per_s']} chunks/s ({per}); plan of a first build "
            f"{g['rebuild']['first_plan_s']} s, of a rebuild after one changed file "
            f"{g['rebuild']['changed_plan_s']} s ({g['rebuild']['converted_again']} converted)"
        )
    if "http" in report:
        lines.append("\nHTTP over loopback")
        for name, r in report["http"].items():
            lines.append(f"  {name:<12} {_ms(r)}")
    if "scale" in report:
        lines += _render_scale(report["scale"])
    lines += _render_targets(report["targets"], machine_busy(m))
    return "\n".join(lines)


def _render_machine(m: dict) -> str:
    loads = "/".join(f"{m.get(k, 0):.2f}" for k in _LOAD_KEYS)
    text = f"{m['cpus']} CPUs, python {m['python']}, load average {loads} (1/5/15 min) at start"
    if "load_average_1m_end" in m:
        text += f", {m['load_average_1m_end']:.2f} (1 min) at the end"
    if machine_busy(m):
        text += (
            f"\n  BUSY: more than {BUSY_LOAD_PER_CPU} runnable tasks per CPU besides this run; "
            "absolute times below are inflated by the other work; the ratios still hold"
        )
    return text


def _render_targets(checks: dict, busy: bool) -> list[str]:
    ratios = {n: r for n, r in checks.items() if not r["load_sensitive"]}
    absolute = {n: r for n, r in checks.items() if r["load_sensitive"]}
    lines = []
    if ratios:
        lines.append(
            "\ntargets: ratios and recall, measured within this run (verdicts on any load)"
        )
        for name, r in ratios.items():
            lines.append(f"  {name:<28} {r['value']:>10}  {'met' if r['met'] else 'NOT met'}")
    if absolute:
        head = "absolute times, load-sensitive; targets set on an idle machine"
        lines.append(f"\ntargets: {head}" + (" (machine busy: not judged)" if busy else ""))
        for name, r in absolute.items():
            word = "met" if r["met"] else "NOT met"
            if not r["verdict"]:
                word = "within target" if r["met"] else "over target, machine busy: no verdict"
            lines.append(f"  {name:<28} {r['value']:>10}  {word}")
    return lines


def _render_query(q: dict) -> list[str]:
    lines = [f"\nper question, in process ({q['questions']} questions x {q['rounds']} rounds)"]
    lines.append("  backend  " + "".join(f"{s:>16}" for s in STAGES) + "   (ms p50/p95)")
    for backend in BACKENDS:
        st = q[backend]["stages"]
        cells = "".join(f"{st[s]['p50']:>8.3f}/{st[s]['p95']:<7.3f}" for s in STAGES)
        lines.append(f"  {backend:<8} {cells}")
    for backend in BACKENDS:
        e = q[backend]["bare_embed"]
        lines.append(f"  bare {backend} embedding: p50 {e['p50']:.3f} ms, p95 {e['p95']:.3f} ms")
    for backend in BACKENDS:
        e = q[backend]["bare_embed_1_thread"]
        lines.append(
            f"  bare {backend} embedding, 1 thread: p50 {e['p50']:.3f} ms, p95 {e['p95']:.3f} ms"
        )
    if q.get("torch_model"):
        lines.append(f"  torch: {q['torch_model']} (the ONNX-only model's base), timings only")
    lines.append(f"  total p50 speed-up onnx vs torch: {q['speedup_p50']}x")
    lines.append(f"  peak RSS of the bench process (both backends loaded): {q['peak_rss_mb']} MB")
    return lines


def _render_scale(rows: list[dict]) -> list[str]:
    lines = ["\nscale (synthetic vectors; search = 1 thread, k=10)"]
    lines.append(
        "  chunks     index           build s   index MB  peak MB   p50 ms   p95 ms  exact p50"
        "  recall@10"
    )
    for r in rows:
        if "error" in r:
            lines.append(f"  {r['chunks']:<10} {r['error']}")
            continue
        i = r["index"]
        kind = i["kind"] + (f" {i['nlist']}/{i['nprobe']}" if i["kind"] == "ivf" else "")
        lines.append(
            f"  {r['chunks']:<10} {kind:<15} {r['build_s']:>7} {r['index_mb']:>10} "
            f"{r['peak_rss_mb']:>8} {r['search_p50_ms']:>8} {r['search_p95_ms']:>8} "
            f"{r['exact_p50_ms']:>10} {r['recall_at_10']:>10}"
        )
    return lines + _render_path(rows)


def _render_path(rows: list[dict]) -> list[str]:
    """The whole ask over the same chunks (dense + BM25 + fusion + answer + abstention)."""
    rows = [x for r in rows for x in (r, r.get("milvus_lite")) if x and "ask_p50_ms" in x]
    if not rows:
        return []
    lines = ["\nwhole ask at scale (in process, embedding excluded; ms)"]
    lines.append(
        "  chunks     store        ask p50  ask p95    dense  lexical   fusion   answer"
        "  bytes/chunk"
    )
    for r in rows:
        lines.append(
            f"  {r['chunks']:<10} {r.get('store', 'faiss'):<12} {r['ask_p50_ms']:>7} "
            f"{r['ask_p95_ms']:>8} {r['dense_p50_ms']:>8} {r['lexical_p50_ms']:>8} "
            f"{r['fusion_p50_ms']:>8} {r['answer_p50_ms']:>8} {r.get('bytes_per_chunk', '-'):>12}"
        )
    return lines


def _ms(r: dict) -> str:
    if "p50_ms" not in r:
        return f"unavailable: {r.get('unavailable')}"
    text = f"p50 {r['p50_ms']:.2f} ms, p95 {r['p95_ms']:.2f} ms ({r['calls']} new questions)"
    if "repeat_p50_ms" in r:
        text += f"; repeated: p50 {r['repeat_p50_ms']:.2f} ms, p95 {r['repeat_p95_ms']:.2f} ms"
    return text


def _cold(argv: list[str], env: dict | None = None) -> dict:
    """Wall time, peak RSS and heavy imports of `qa ARGV` in a new process."""
    code = _PROBE.format(heavy=HEAVY)
    times, rss, heavy, status = [], 0.0, [], 0
    for _ in range(COLD_RUNS):
        began = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *argv],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        err = proc.stderr.read() if proc.stderr else ""
        status = proc.wait()
        times.append(time.perf_counter() - began)
        probe = _last_json(err, default={"heavy": heavy, "peak_kb": 0})
        rss, heavy = max(rss, probe["peak_kb"] / 1024), probe["heavy"]
    return {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "peak_rss_mb": round(rss, 1),
        "heavy_modules": heavy,
        "exit_code": status,
    }


def _stage_times(engine, questions: list[dict], rounds: int) -> dict:
    samples: dict[str, list[float]] = {s: [] for s in STAGES}
    for q in questions:  # warm-up pass, not recorded
        engine.ask(q["question"], q.get("history") or [])
    for _ in range(rounds):
        for q in questions:
            engine.forget_questions()
            timings: dict[str, float] = {}
            engine.ask(q["question"], q.get("history") or [], timings=timings)
            for stage in STAGES:
                samples[stage].append(timings.get(stage, 0.0))
    return {s: _summary(v) for s, v in samples.items()}


def _bare_embed(embedder, questions: list[dict], rounds: int) -> dict:
    for q in questions:
        embedder.encode([q["question"]])
    times = []
    for _ in range(rounds):
        for q in questions:
            began = time.perf_counter()
            embedder.encode([q["question"]])
            times.append((time.perf_counter() - began) * 1000)
    return _summary(times)


def _torch_one_thread(engine, questions: list[dict], rounds: int) -> dict:
    """Bare sentence-transformers embedding with torch on one thread (then restored)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _bare_embed(engine.embedder, questions, rounds)
    finally:
        torch.set_num_threads(before)


def _json_route(port: int, questions: list[dict], rounds: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}

    def call(q: dict) -> float:
        body = json.dumps({"question": q["question"], "history": q.get("history") or []})
        began = time.perf_counter()
        conn.request("POST", "/api/ask", body, headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        return (time.perf_counter() - began) * 1000

    try:
        return _timed_calls(call, questions, rounds)
    except (OSError, RuntimeError, http.client.HTTPException) as exc:
        return {"unavailable": f"POST /api/ask failed: {exc}"}
    finally:
        conn.close()


def _gradio_ask(port: int, questions: list[dict], rounds: int) -> dict:
    try:
        from gradio_client import Client

        from qa.tools.gradio_calls import gradio_ask

        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        names = list(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    except Exception as exc:  # any client failure is reported, not raised
        return {"unavailable": f"gradio_client: {exc.__class__.__name__}: {exc}"}
    if "/ask" not in names:
        return {"unavailable": f"no /ask endpoint (named endpoints: {names})"}

    def call(q: dict) -> float:
        began = time.perf_counter()
        gradio_ask(client, q["question"])
        return (time.perf_counter() - began) * 1000

    try:
        return _timed_calls(call, questions, rounds)
    except Exception as exc:  # the endpoint's signature may differ: report, don't crash
        return {"unavailable": f"/ask call failed: {exc.__class__.__name__}: {exc}"}


def _timed_calls(call, questions: list[dict], rounds: int) -> dict:
    """First pass: each question new to the server; later passes hit its question-vector memo."""
    for i in range(3):
        call({"question": f"Warm-up question number {i}?"})
    first = [call(q) for q in questions]
    again = [call(q) for _ in range(rounds - 1) for q in questions]
    out = {**_summary_ms(first), "calls": len(first)}
    if again:
        out |= {"repeat_p50_ms": _pct(again, 50), "repeat_p95_ms": _pct(again, 95)}
    return out


def _wait_ready(proc: subprocess.Popen, port: int) -> str | None:
    """None once /api/health answers 200; else why the app is unavailable."""
    deadline = time.monotonic() + APP_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = (proc.stderr.read() if proc.stderr else "").strip().splitlines()[-1:]
            return f"app.py exited with {proc.returncode}: {' '.join(tail)}"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/health")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return None
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    return f"app.py did not answer /api/health within {APP_START_TIMEOUT:.0f} s"


def _summary(values: list[float]) -> dict:
    return {"p50": _pct(values, 50), "p95": _pct(values, 95)}


def _summary_ms(values: list[float]) -> dict:
    return {"p50_ms": _pct(values, 50), "p95_ms": _pct(values, 95)}


def _pct(values: list[float], q: int) -> float:
    import numpy as np

    return round(float(np.percentile(values, q)), 4) if values else 0.0


def _cold_check(run: dict, limit: float) -> dict:
    if run["exit_code"] != 0:  # a failure is a verdict whatever the load
        return {"value": f"exit {run['exit_code']}", "met": False, "load_sensitive": False}
    return _check(run["median_s"], limit, "<=", absolute=True)


def _check(value: float, limit: float, op: str, absolute: bool = False) -> dict:
    """`value` against `limit`; `absolute` marks a time that depends on the machine's load."""
    met = value <= limit if op == "<=" else value >= limit
    return {"value": value, "met": bool(met), "load_sensitive": absolute}


def _parts(args) -> set[str]:
    if args.parts:
        chosen = {p.strip() for p in args.parts.split(",") if p.strip()}
        unknown = chosen - set(PARTS)
        if unknown:
            raise UserError(f"unknown bench part(s): {', '.join(sorted(unknown))}", 2)
        return chosen
    return set(PARTS) - {"soak"} if args.scale else set(PARTS) - set(ON_REQUEST)


def _default_questions() -> Path:
    from qa.config import ROOT

    shared = ROOT.parent / "shared" / "eval" / "dev.jsonl"
    fallback = ROOT / "eval" / "dev.jsonl"  # the repo's copy, for checkouts without ../shared
    return Path(os.environ.get("QA_DEV_SET") or (shared if shared.is_file() else fallback))


def _questions(path: Path) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as f:
            items = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read questions from {path}: {exc}", 2) from None
    items = [i for i in items if isinstance(i, dict) and str(i.get("question", "")).strip()]
    if not items:
        raise UserError(f"{path} has no questions", 2)
    return items


_LOAD_KEYS = ("load_average_1m", "load_average_5m", "load_average_15m")


def _machine() -> dict:
    """CPUs, Python and the load averages at the start of the run."""
    loads = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        **{key: round(value, 2) for key, value in zip(_LOAD_KEYS, loads, strict=True)},
        "python": sys.version.split()[0],
    }


def _last_json(text: str, default):
    for line in reversed(text.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return default


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
