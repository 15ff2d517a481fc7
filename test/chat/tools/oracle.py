#!/usr/bin/env python3
"""Renders chat templates with Python's jinja2 configured as transformers'
apply_chat_template (the environment of ../shared/golden/CHAT-README.md), to
check lib/chat against more templates and conversations than the golden file.

  python3 test/chat/tools/oracle.py TEMPLATE_DIR OUT.jsonl GOLDEN.jsonl [--fixture]

TEMPLATE_DIR is vendor/llama.cpp/models/templates; GOLDEN.jsonl the public
golden file, whose conversations are applied to every template, plus a few
more; extra keyword arguments are guessed from each template's undeclared
variables. Without --fixture, OUT gets one record per case in the golden
file's format (full template and render: for debugging). With --fixture, OUT
is test/chat/fixtures/llama-cpp-templates.json: renders as SHA-256 digests,
templates by file name and digest (what test/chat/templates.test.ts reads).
Needs jinja2 3.1.x.
"""
import hashlib
import json
import os
import sys
from datetime import datetime

import jinja2
import jinja2.meta
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment


class AssistantTracker(Extension):
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    @jinja2.pass_eval_context
    def _generation_support(self, context, caller):
        return caller()


def make_env():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[AssistantTracker, jinja2.ext.loopcontrols])

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime(2024, 7, 26, 0, 0, 0).strftime(fmt)
    return env


KW_VALUES = (True, False, "high", "low", 0, None, ["code_interpreter", "brave_search"], {"type": "json_object"}, "Custom text.")

KNOWN = {"messages", "tools", "documents", "add_generation_prompt", "bos_token", "eos_token",
         "raise_exception", "strftime_now", "range", "namespace", "dict", "lipsum", "cycler", "joiner",
         "true", "false", "none", "True", "False", "None"}


_compiled = {}


def render(env, template, messages, tools, agp, kwargs, bos, eos):
    kwargs = dict(kwargs)
    documents = kwargs.pop("documents", None)
    try:
        if template not in _compiled:
            _compiled[template] = env.from_string(template)
        out = _compiled[template].render(
            messages=messages, tools=tools, documents=documents,
            add_generation_prompt=agp, **{"bos_token": bos, "eos_token": eos, **kwargs})
        return {"expected": out}
    except Exception as e:  # noqa: BLE001
        return {"expected_error": f"{type(e).__name__}: {e}"}


def main():
    tdir, out_path = sys.argv[1], sys.argv[2]
    golden = sys.argv[3] if len(sys.argv) > 3 else None
    base = {}
    if golden:
        for line in open(golden, encoding="utf-8"):
            c = json.loads(line)
            case = c["id"].split("/", 1)[1]
            if not case.startswith("kw_") and case not in base:
                base[case] = (c["messages"], c["tools"], c["add_generation_prompt"])
            if case == "reasoning_gen":
                base["reasoning_gen"] = (c["messages"], c["tools"], True)
    reasoning_msgs = base["reasoning_gen"][0]
    tools = base["tools_user_gen"][1]
    tool_call = base["tools_call_gen"][0]
    # more conversations: two tool calls with content, a tool reply list, content None
    extra = {
        "two_calls_gen": ([
            {"role": "user", "content": "Weather in Paris and time in Tokyo?"},
            {"role": "assistant", "content": "Let me check.", "tool_calls": [
                {"id": "call12345", "type": "function", "function": {"name": "get_weather", "arguments": {"location": "Paris"}}},
                {"id": "call67890", "type": "function", "function": {"name": "get_time", "arguments": {"timezone": "Asia/Tokyo"}}}]},
            {"role": "tool", "tool_call_id": "call12345", "name": "get_weather", "content": "18°C"},
            {"role": "tool", "tool_call_id": "call67890", "name": "get_time", "content": "21:04"},
        ], tools, True),
        "none_content_gen": ([
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call12345", "type": "function", "function": {"name": "get_weather", "arguments": {"location": "Paris", "days": 3, "ratio": 0.5, "ok": True, "tags": ["a", "b"], "none": None}}}]},
            {"role": "tool", "tool_call_id": "call12345", "name": "get_weather", "content": "18°C"},
        ], tools, True),
        "multi_turn_nogen": ([
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "How are you?"},
            {"role": "assistant", "content": "<think>fine</think>Fine, thanks."},
        ], None, False),
        "parts_gen": ([
            {"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
            {"role": "user", "content": [{"type": "text", "text": "Describe"}, {"type": "text", "text": " this."}]},
        ], None, True),
        "system_only_gen": ([{"role": "system", "content": "  You are terse.\n"}], None, True),
        "reasoning_tools_gen": ([
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "", "reasoning_content": "Need the tool.", "tool_calls": [
                {"id": "call12345", "type": "function", "function": {"name": "get_weather", "arguments": {"location": "Paris", "nested": {"a": [1, 2.5, "ü"], "b": None}}}}]},
            {"role": "tool", "tool_call_id": "call12345", "content": "{\"temperature\": 18.5}"},
            {"role": "assistant", "content": "It is 18.5 °C.", "reasoning_content": "Done."},
            {"role": "user", "content": "Thanks"},
        ], tools, True),
        "two_systems_gen": ([
            {"role": "system", "content": "First."},
            {"role": "system", "content": "Second."},
            {"role": "user", "content": "Hi"},
        ], None, True),
        "long_gen": ([{"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i} " + "word " * i} for i in range(9)], None, True),
    }
    env = make_env()
    records = []
    for name in sorted(os.listdir(tdir)):
        if not name.endswith(".jinja"):
            continue
        tname = name[:-6]
        template = open(os.path.join(tdir, name), encoding="utf-8").read()
        try:
            ast = env.parse(template)
        except Exception as e:  # noqa: BLE001
            print(f"{tname}: does not compile: {e}", file=sys.stderr)
            continue
        variables = jinja2.meta.find_undeclared_variables(ast) - KNOWN
        cases = {k: v for k, v in base.items()}
        cases.update(extra)
        for var in sorted(variables):
            for value in KW_VALUES:
                key = f"kw_{var}_{json.dumps(value)}"
                kw = {var: value}
                cases[key] = (reasoning_msgs, None, True, kw)
            cases[f"kw_{var}_tools"] = (tool_call, tools, True, {var: True})
        for case, spec in cases.items():
            messages, tls, agp = spec[0], spec[1], spec[2]
            kw = spec[3] if len(spec) > 3 else {}
            for bos, eos in (("<s>", "</s>"),) if not case.startswith("basic") else (("<s>", "</s>"), ("<|begin_of_text|>", "<|eot_id|>")):
                rec = {"id": f"{tname}/{case}{'' if bos == '<s>' else '/' + bos}", "template_name": tname, "template": template, "messages": messages,
                       "tools": tls, "add_generation_prompt": agp, "extra_kwargs": kw, "bos_token": bos, "eos_token": eos}
                rec.update(render(env, template, messages, tls, agp, kw, bos, eos))
                records.append(rec)
    if "--fixture" in sys.argv:
        write_fixture(records, out_path)
    else:
        with open(out_path, "w", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(records)} cases, {sum('expected_error' in r for r in records)} errors -> {out_path}", file=sys.stderr)


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_fixture(records, out_path):
    """Compact form: conversations once, templates by digest, renders by digest."""
    conversations, templates, cases = {}, {}, []
    for r in records:
        conv = json.dumps([r["messages"], r["tools"], r["add_generation_prompt"]], ensure_ascii=False)
        key = conversations.setdefault(conv, f"c{len(conversations)}")
        templates[r["template_name"]] = sha256(r["template"])[:16]
        case = [r["template_name"], key, r["extra_kwargs"], r["bos_token"], r["eos_token"]]
        if "expected" in r:
            case.append(sha256(r["expected"])[:16])
        else:  # the exception type; and the template's own message for raise_exception
            error = r["expected_error"]
            case.append({"error": error if error.startswith("TemplateError:") else error.split(":")[0]})
        cases.append(case)
    out = {
        "about": "jinja2 " + jinja2.__version__ + " renders (transformers' apply_chat_template settings) of vendor/llama.cpp/models/templates; "
                 "made by test/chat/tools/oracle.py --fixture. case: [template, conversation, extra kwargs, bos, eos, "
                 "first 16 hex digits of the render's SHA-256 or {error: Python exception type}]",
        "templates": templates,
        "conversations": {v: json.loads(k) for k, v in conversations.items()},
        "cases": cases,
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    main()
