"""The `qa` command: build, ask, eval. Heavy imports happen inside the commands that need them."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

from qa import __version__
from qa.tools.user_error import UserError


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and getattr(args, "question", "") is None and len(unknown) == 1:
        args.question = unknown[0]  # a question that starts with "-", e.g. "-5 degrees?"
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return args.func(args)
    except UserError as exc:
        print(f"qa: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`qa ask ... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qa", description="Question answering over documents.")
    p.add_argument("--version", action="version", version=f"qa {__version__}")
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    b = sub.add_parser("build", help="build the index from the corpus")
    _common(b)
    b.add_argument("--check", action="store_true", help="exit 1 if the index is stale or missing")
    b.add_argument("--if-stale", action="store_true", help="build only if stale or missing")
    b.add_argument("--max-chars", type=int, help="chunk size limit in characters")
    b.add_argument("--overlap", type=int, help="sentences repeated between chunks")
    b.add_argument(
        "--skip-bad", action="store_true", help="leave out unreadable documents and list them"
    )
    b.set_defaults(func=_cmd_build)

    a = sub.add_parser("ask", help="answer a question")
    _common(a)
    a.add_argument("question", nargs="?", help="the question")
    a.add_argument("--json", action="store_true", help="print the JSON contract")
    a.add_argument("-k", type=int, default=5, help="passages to return (default 5)")
    a.add_argument("--history", action="append", default=[], help="an earlier question")
    a.add_argument("--jsonl", type=Path, help='answer a file of {"id","question","history"}')
    _backend(a)
    a.set_defaults(func=_cmd_ask, usage=a.format_usage)

    e = sub.add_parser("eval", help="score a question file (format of eval/dev.jsonl)")
    _common(e)
    e.add_argument("file", type=Path)
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.add_argument("--results", type=Path, help="also write the raw results as JSON Lines")
    _backend(e)
    e.set_defaults(func=_cmd_eval)

    f = sub.add_parser("feedback", help="questions voted down or abstained on, most frequent first")
    f.add_argument("--data-dir", type=Path, help="where the page stores feedback ($QA_DATA_DIR)")
    f.add_argument("--limit", type=int, default=50, help="questions to print (default 50)")
    f.add_argument("--json", action="store_true", help="print one JSON object per question")
    f.set_defaults(func=_cmd_feedback)

    x = sub.add_parser("export-onnx", help="export the model to ONNX for fast queries")
    _common(x)
    x.add_argument("--force", action="store_true", help="export again even if cached")
    x.set_defaults(func=_cmd_export_onnx)

    from qa.tools.bench import add_arguments as _bench_arguments

    _bench_arguments(sub.add_parser("bench", help="measure speed (see docs/performance.md)"))
    return p


def _backend(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend",
        choices=("torch", "onnx"),
        help="query embedder ($QA_BACKEND; default onnx when its export is cached, else torch)",
    )
    p.add_argument(
        "--reranker",
        metavar="NAME_OR_PATH",
        help="optional sentence-transformers CrossEncoder to rerank passages ($QA_RERANKER)",
    )


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="sentence-transformers model name or path ($QA_MODEL)")
    p.add_argument("--corpus", type=Path, help="corpus directory ($QA_CORPUS)")
    p.add_argument("--index", type=Path, help="index directory ($QA_INDEX)")
    p.add_argument(
        "--store",
        metavar="URI",
        help="where the index lives ($QA_STORE): the index directory (default), "
        "milvus:///path/x.db or x.db (milvus-lite), http://host:19530 (Milvus)",
    )


def _settings(args):
    from qa.config import ChunkParams, Settings

    corpus = getattr(args, "corpus", None)
    if corpus is not None and not corpus.is_dir():
        raise UserError(f"--corpus {corpus}: no such directory", 2)

    base = Settings.from_env(
        model=args.model, corpus_dir=args.corpus, index_dir=args.index, store=args.store
    )
    _check_store(base)
    max_chars = getattr(args, "max_chars", None)
    overlap = getattr(args, "overlap", None)
    if max_chars is None and overlap is None:
        return base
    try:
        chunk = ChunkParams(
            max_chars=max_chars if max_chars is not None else base.chunk.max_chars,
            overlap=overlap if overlap is not None else base.chunk.overlap,
        )
    except ValueError as exc:
        raise UserError(str(exc), 2) from None
    return replace(base, chunk=chunk)


def _check_store(settings) -> None:
    """A usage error (exit 2) for a store URI of no known kind."""
    from qa.index.stores import choose

    try:
        choose(settings)
    except ValueError as exc:
        raise UserError(str(exc), 2) from None


def _where(settings) -> str:
    """The index's place for messages: its directory, or the store URI."""
    return settings.store or str(settings.index_dir)


def _cmd_build(args) -> int:
    from qa.index.freshness import index_status
    from qa.ingest.corpus import CorpusError

    settings = _settings(args)
    if args.check or args.if_stale:
        status = index_status(settings)
        if status == "fresh":
            print(f"index at {_where(settings)} is fresh")
            if args.if_stale:
                _ensure_onnx(settings)
            return 0
        if args.check:
            hint = f"qa build --store {settings.store}" if settings.store else "qa build"
            print(f"qa: index at {_where(settings)} is {status}: run `{hint}`", file=sys.stderr)
            return 1
    from qa.index.build import build_index
    from qa.index.embedding import ModelNotFoundError
    from qa.index.search import StoreUnavailable
    from qa.index.storage import StorageError

    try:
        report = build_index(settings, skip_bad=args.skip_bad)
    except (CorpusError, ModelNotFoundError, ValueError, StoreUnavailable, StorageError) as exc:
        raise UserError(f"build failed, previous index left as it was: {exc}") from None
    except OSError as exc:  # any other storage fault: the error and the file, no traceback
        where = f": {exc.filename}" if exc.filename else ""
        reason = exc.strerror or exc
        raise UserError(f"build failed, previous index left as it was: {reason}{where}") from None
    seconds = max(report.seconds, 1e-9)
    print(
        f"built {_where(settings)}: {report.documents} documents, {report.chunks} chunks, "
        f"{report.sentences} sentences in {report.seconds:.1f}s "
        f"({report.documents / seconds:.1f} documents/s, {report.chunks / seconds:.1f} chunks/s)"
    )
    for reason in report.skipped:
        print(f"skipped {reason}")
    _ensure_onnx(settings)
    return 0


def _ensure_onnx(settings) -> None:
    """Make the ONNX export of the model if it is missing (a warning if it cannot be made)."""
    from qa.index.embedding import resolve_model
    from qa.index.onnx_embedder import ExportError, cached_export, export_onnx

    model = resolve_model(settings.model)
    if cached_export(model) is not None:
        return
    try:
        export = export_onnx(model)
    except (ExportError, OSError) as exc:
        print(f"qa: no ONNX export, queries will use torch: {exc}", file=sys.stderr)
        return
    print(f"exported {model.model_id} to ONNX: {export.folder}")


def _cmd_export_onnx(args) -> int:
    from qa.index.embedding import ModelNotFoundError, resolve_model
    from qa.index.onnx_embedder import ExportError, cached_export, export_onnx

    model = resolve_model(_settings(args).model)
    try:
        export = None if args.force else cached_export(model)
        export = export or export_onnx(model)
    except (ExportError, ModelNotFoundError, OSError) as exc:
        raise UserError(f"ONNX export failed: {exc}") from None
    print(f"{model.model_id}: {export.model_file}")
    return 0


def _load_engine(args):
    from qa.answer.engine import QAEngine
    from qa.index.embedding import ModelNotFoundError
    from qa.index.search import StoreUnavailable
    from qa.index.store import IndexUnavailable

    try:
        engine = QAEngine.load(
            _settings(args),
            backend=getattr(args, "backend", None),
            reranker=getattr(args, "reranker", None),
        )
    except (IndexUnavailable, ModelNotFoundError, StoreUnavailable) as exc:
        raise UserError(str(exc)) from None
    if engine.stale:
        print(f"qa: answering from the last build, which is older: {engine.stale}", file=sys.stderr)
    return engine


def _cmd_ask(args) -> int:
    from qa.answer.question import QuestionError, check_question

    if args.jsonl:
        return _ask_jsonl(args)
    if args.question is None:
        sys.stderr.write(args.usage())
        raise UserError('give a question, e.g. qa ask "Will Russia support Iran?"', 2)
    try:
        check_question(args.question if args.question is not None else "", args.history)
    except QuestionError as exc:
        raise UserError(str(exc), 2) from None
    if args.k < 1 or args.k > 50:
        raise UserError("-k must be between 1 and 50", 2)
    engine = _load_engine(args)
    result = engine.ask(args.question, args.history, k=args.k)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        from qa.tools.render_terminal import render_terminal

        print(render_terminal(result))
    return 0


def _ask_jsonl(args) -> int:
    """Answer every usable line; report each malformed one (by line number) on stderr and
    exit 1 at the end if there was any."""
    from qa.answer.question import QuestionError, check_question

    lines = list(_jsonl_lines(args.jsonl))
    engine = _load_engine(args)
    bad = 0
    for number, item, problem in lines:
        if problem:
            bad += 1
            print(f"qa: {args.jsonl} line {number}: {problem}", file=sys.stderr, flush=True)
            continue
        question, history = item.get("question", ""), item.get("history") or []
        try:
            check_question(question, history)
            out = engine.ask(question, history, k=args.k)
            line = {"id": item.get("id"), **out.to_json()}
        except QuestionError as exc:
            line = {"id": item.get("id"), "error": str(exc)}
        print(json.dumps(line, ensure_ascii=False), flush=True)
    if bad:
        print(f"qa: {bad} of {len(lines)} lines of {args.jsonl} skipped", file=sys.stderr)
        return 1
    return 0


def _jsonl_lines(path: Path):
    """(line number, object, None) per usable line, (line number, None, problem) per bad one;
    blank lines are skipped."""
    try:
        raw = Path(path).read_bytes().splitlines()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}", 2) from None
    for number, data in enumerate(raw, 1):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            byte = data[exc.start]
            yield number, None, f"not UTF-8 text (byte 0x{byte:02x} at column {exc.start + 1})"
            continue
        if not text.strip():
            continue
        try:
            item = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, None, f"not valid JSON: {exc.msg} (column {exc.colno})"
            continue
        if isinstance(item, dict):
            yield number, item, None
        else:
            yield number, None, 'not a JSON object {"id", "question", "history"?}'


def _read_jsonl(path: Path) -> list[dict]:
    """Every line as an object, or a `UserError` naming the first bad line."""
    items = []
    for number, item, problem in _jsonl_lines(path):
        if problem:
            raise UserError(f"{path} line {number}: {problem}", 2)
        items.append(item)
    return items


def _cmd_feedback(args) -> int:
    import sqlite3
    from dataclasses import asdict

    from qa.config import Settings
    from qa.web.feedback import FeedbackStore, format_report

    store = FeedbackStore(Settings.from_env(data_dir=args.data_dir).data_dir)
    try:
        rows = store.report()[: max(args.limit, 0)]
    except sqlite3.Error as exc:
        raise UserError(f"cannot read {store.path}: {exc}") from None
    if args.json:
        for row in rows:
            print(json.dumps(asdict(row), ensure_ascii=False))
    else:
        print(format_report(rows))
    return 0


def _cmd_eval(args) -> int:
    from qa.tools.evaluate import answer_all, score

    questions = _read_jsonl(args.file)
    results = answer_all(_load_engine(args), questions)
    if args.results:
        with open(args.results, "w", encoding="utf-8") as f:
            for qid, r in results.items():
                f.write(json.dumps({"id": qid, **r}, ensure_ascii=False) + "\n")
    metrics = score(questions, results)
    if args.json:
        print(json.dumps(metrics))
    else:
        for key, value in metrics.items():
            print(f"{key:>20}  {value}")
    return 0
