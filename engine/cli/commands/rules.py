"""`llmplan rules [--check PATH]`, `llmplan explain NAME`, `llmplan catalog [NAME]`: what the engine knows."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ...errors import ValueParseError
from ...messages import keyed, text
from ...rules import schema
from ...rules.loading import load_rules
from ...solve.explain import explain
from ..catalog_table import TERMINAL_WIDTH, catalog_text
from ._common import add_rule_options, load_engine


def add_parser(sub: argparse._SubParsersAction) -> None:
    rules = sub.add_parser("rules", help="list every rule with its source; --check validates your own rule file")
    rules.add_argument("--check", metavar="PATH", action="append", default=[],
                       help="validate a rule/catalog file or folder together with the bundled rules")
    rules.add_argument("--json", action="store_true")
    rules.add_argument("--schema-md", action="store_true",
                       help="print the table of rule-file keys (the one in formulas/README.md) and exit")
    add_rule_options(rules)
    explain = sub.add_parser("explain", help="explain a variable, rule or convention (variants side by side)")
    explain.add_argument("name", help="variable (mfu), rule id (time.train_time) or convention (flops_model)")
    add_rule_options(explain)
    catalog = sub.add_parser("catalog", help="list catalogs, or the entries of one (gpus, models, tokenizers, ...)")
    catalog.add_argument("name", nargs="?", help="gpus | models | tokenizers | encodings | precisions | ...")
    catalog.add_argument("--json", action="store_true")
    catalog.add_argument("--wide", action="store_true", help="every column, whole sources (wider than a terminal)")
    catalog.add_argument("--width", type=int, default=TERMINAL_WIDTH, metavar="COLUMNS",
                         help=f"fit the table in this many columns (default {TERMINAL_WIDTH})")
    add_rule_options(catalog)


def run(args: argparse.Namespace) -> int:
    if args.command == "rules":
        return _rules(args)
    if args.command == "explain":
        print(explain(load_engine(args), args.name, args.lang))
        return 0
    return _catalog(args)


def _rules(args: argparse.Namespace) -> int:
    if args.schema_md:
        sys.stdout.write(schema.markdown())
        return 0
    if args.check:
        rules = load_rules([*args.check, *args.rules, *args.catalog])   # raises DefinitionError -> exit 2
        added = [f for f in rules.files if any(f.startswith(str(p)) or f == str(p) for p in args.check)]
        print(text("cli.rules_ok", args.lang, variables=len(rules.variables), equations=len(rules.equations),
                   checks=len(rules.checks), tables=len(rules.tables), count=len(added), files=", ".join(added)))
        return 0
    engine = load_engine(args)
    rules = engine.rules
    if args.json:
        json.dump([{"id": e.id, "equation": e.text, "source": e.source, "where": e.where,
                    "variant": dict(e.variant), "en": e.en, "zh": e.zh} for e in rules.equations],
                  sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    area = None
    for eq in rules.equations:
        if eq.area != area:
            area = eq.area
            print(f"\n[{area}]")
        variant = "  when " + ", ".join(f"{k}={'|'.join(v)}" for k, v in eq.variant) if eq.variant else ""
        print(f"  {eq.id}: {eq.text}{variant}\n      {eq.label(args.lang)}\n      "
              f"{text('cli.source', args.lang)}: {eq.source}")
    print("\n" + text("cli.rules_count", args.lang, equations=len(rules.equations), variables=len(rules.variables),
                      checks=len(rules.checks)))
    return 0


def _singular(name: str, tables: dict) -> str:
    """`gpus` -> `gpu`, `methods` -> `method`: any table's plural, as people write it."""
    if name in tables:
        return name
    for single, suffix in ((name[:-3] + "y", "ies"), (name[:-2], "es"), (name[:-1], "s")):
        if name.endswith(suffix) and single in tables:
            return single
    return name


def _catalog(args: argparse.Namespace) -> int:
    engine = load_engine(args)
    tables = engine.rules.tables
    if not args.name:
        for name, each in tables.items():
            about = (each.zh if args.lang == "zh" else each.en) or engine.rules.variables[name].label(args.lang)
            entries = text("cli.catalog_entries", args.lang, count=f"{len(each.entries):3d}")
            print(f"{name:14s} {entries}  {about}")
        return 0
    name = _singular(args.name, tables)
    table = tables.get(name)
    if table is None:
        raise keyed(ValueParseError, "io.no_catalog", name=args.name, names=", ".join(tables))
    if args.json:
        json.dump({key: {"name": e.name, "aliases": list(e.aliases), **e.written, "source": e.source,
                         "info": _jsonable(e.info)} for key, e in table.entries.items()},
                  sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    print(catalog_text(table, None if args.wide else args.width, args.lang))
    return 0


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
