#!/usr/bin/env python3
"""Makes test/chat/fixtures/jinja2-semantics.json: small templates (hand-written
probes of Python/jinja2 semantics, plus seeded random expressions and
whitespace-control layouts) with their renders by Python's jinja2 under
transformers' settings, for test/chat/semantics.test.ts.

  python3 test/chat/tools/semantics.py test/chat/fixtures/jinja2-semantics.json

Needs jinja2 3.1.x. Left out on purpose (where lib/chat differs, see
docs/generation.md): addresses in reprs (`<generator object ... at 0x...>`),
integers beyond 2**53, and subscripts of constant expressions, which jinja2's
compile-time folding turns into undefined values.
"""
import copy
import warnings
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

VARIABLES = {"s": "abc", "l": [3, 1, 2], "d": {"a": 1, "items": [1, 2]}, "n": None, "i": 7, "f": 1.5,
             "lst2": [{"k": 1}, {"k": 0}, {"j": 2}], "d2": {"k": 1, "b": "x"}}

PROBES = [
"{{ u.x }}",
"{{ n.x }}|{{ n.x.y }}",
"{{ u|int }}",
"{{ u|first }}|",
"{{ s.items() }}",
"{{ s|items|list }}",
"{{ 'a' + d }}",
"{{ d['items'] }}",
"{{ l.append }}|{{ l['append'] }}",
"{{ l.append(1) }}",
"{{ u is iterable }} {{ true is number }} {{ 1 is integer }} {{ true is integer }} {{ 1.0 is float }}",
"{{ d|string }}|{{ d }}|{{ l }}|{{ (1,) }}|{{ (1,2) }}|{{ () }}",
"{{ 1/2 }} {{ 4/2 }} {{ 10**20 }} {{ 1e16 }}",
"{{ x if false }}|",
"{{ 'a' ~ none }}{{ 1 ~ 2 }}{{ true ~ u }}",
"{{ [1,2]|map('string')|list }}",
"{{ u|tojson }}",
"{{ 'x'|safe + '<' }}|{{ '<' + 'x'|safe }}|{{ ('<'|safe) ~ '<' }}",
"{{ range(3) }}|{{ range(1,10,3)|list }}|{{ range(3)|length }}",
"{{ d.items()|list }}|{{ d.keys()|list }}",
"{{ u in d }} {{ 1 in u }}",
"{{ 'a' in n }}",
"{{ u == u }} {{ u == none }} {{ none == none }}",
"{{ u < 1 }}",
"{{ -u }}",
"{{ u|length }}{{ u|upper }}{{ u|list }}{{ u|join }}{{ u|items|list }}",
"{{ n|string }}{{ n|trim }}{{ n|upper }}",
"{{ 1 == 1.0 }} {{ [1] == (1,) }} {{ {'a':1} == {'a':1} }} {{ {'a':1,'b':2} == {'b':2,'a':1} }}",
"{{ 'b' > 'a' }} {{ [1,2] < [1,3] }} {{ (1,2) < (1,2,0) }}",
"{{ 1 < 'a' }}",
"{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7.5 // 2 }} {{ 2 ** -1 }} {{ 2**3 }} {{ 7 % -3 }} {{ 2.5 % 1 }}",
"{{ 'ab' * 2 }} {{ true + 1 }} {{ 3 * [1] }} {{ 1.5 * 2 }}",
"{{ '%s-%d' % ('a', 3) }}|{{ '%5.2f|%-4d|%x|%r|%s' % (3.14159, 7, 255, 'a', none) }}|{{ '%(a)s' % {'a': 1} }}|{{ '%s' % [1,2] }}",
"{{ '{}-{}'.format(1, 'a') }}|{{ '{0}{1}{0}'.format('a','b') }}|{{ '{x}'.format(x=1) }}|{{ '{:>5}|{:.2f}'.format('a', 2) }}|{{ '{!r}'.format('a') }}",
"{{ d|tojson(indent=2) }}|{{ l|tojson(indent=0) }}|{{ d|tojson(separators=(',', ':')) }}|{{ {'b':1,'a':2}|tojson(sort_keys=true) }}|{{ 'é'|tojson(ensure_ascii=true) }}|{{ [1.0, 1.5, 1e20, -0.0]|tojson }}",
"{{ 3.0|int }} {{ '3.5'|int }} {{ '3.5'|float }} {{ 'x'|float }} {{ none|int }} {{ '0x1A'|int(0, 16) }} {{ ' 7 '|int }}",
"{{ [3,1,2]|sort }} {{ ['b','A','a']|sort }} {{ ['b','A','a']|max }} {{ ['b','A','a']|sort(case_sensitive=true) }} {{ [3,1,2]|sort(reverse=true) }}",
"{{ l|reverse|list }}|{{ s|reverse }}|{{ (1,2)|reverse|list }}",
"{{ l|sum }} {{ l|min }} {{ []|min }}| {{ l|sum(start=10) }}",
"{{ 'Hello World'|title }} {{ 'hello-world foo'.title() }} {{ \"they're bill's\"|title }} {{ \"they're bill's\".title() }}",
"{{ '  x  '|trim }}|{{ 'xxaxx'|trim('x') }}|{{ '\\u3000x\\u00a0'|trim }}|{{ '\\ufeffx'|trim }}|",
"{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent }}|{{ 'a\\n\\nb'|indent(blank=true) }}|{{ 'a\\nb'|indent('--') }}",
"{{ l|join(', ') }}|{{ [1,none,'a']|join }}|{{ 'abc'|join('-') }}|{{ d|join(',') }}",
"{{ d|dictsort }}|{{ {'b':1,'A':2}|dictsort }}|{{ {'b':1,'A':2}|dictsort(by='value', reverse=true) }}",
"{{ [1,1,2,'a','A']|unique|list }}",
"{{ l|select('odd')|list }}|{{ l|reject('odd')|list }}|{{ [0,1,'',none]|select|list }}|{{ [1,2,3]|select('greaterthan', 1)|list }}|{{ [1,2,3]|select('>', 1)|list }}",
"{{ none|default('x') }} {{ u|default('y') }} {{ ''|default('z', true) }} {{ u|d('w') }}",
"{{ loop }}|",
"{% for x in l %}{{ loop.index }}{{ loop.revindex }}{{ loop.first }}{{ loop.cycle('a','b') }}{{ loop.previtem }}{{ loop.nextitem }}{{ loop.length }}{{ loop.depth }}|{% endfor %}",
"{% for x in l if x > 1 %}{{ loop.index }}/{{ loop.length }}{{ x }};{% else %}none{% endfor %}",
"{% for x in [] %}a{% else %}empty{% endfor %}",
"{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
"{% for k in d %}{{ k }};{% endfor %}{% for c in 'ab' %}{{ c }};{% endfor %}",
"{% for x in n %}{% endfor %}",
"{% for x in 5 %}{% endfor %}",
"{% for a, b in [(1,2),(3,)] %}{{ a }}{% endfor %}",
"{% set c = 0 %}{% for i in range(3) %}{% set c = c + 1 %}{{ c }}{% endfor %}{{ c }}",
"{% set ns = namespace(c=0) %}{% for i in range(3) %}{% set ns.c = ns.c + i %}{% endfor %}{{ ns.c }}|{{ ns }}|{{ ns.missing }}|",
"{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}",
"{% macro m(a, b=2, c=a) %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ m(1) }}|{{ m(1, 3) }}|{{ m(a=5, c=9) }}|{{ m() }}",
"{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4) }}",
"{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}",
"{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, x=2) }}",
"{% macro m() %}[{{ caller() }}]{% endmacro %}{% call m() %}inner{% endcall %}",
"{% macro m() %}[{{ caller(5) }}]{% endmacro %}{% call(x) m() %}got {{ x }}{% endcall %}",
"{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}",
"{% filter upper %}abc{{ 'd' }}{% endfilter %}",
"{% set x %}block {{ 1 }}{% endset %}{{ x }}|{{ x is string }}",
"{% set a, b = 1, 2 %}{{ a }}{{ b }}",
"{% set a, b = [1] %}",
"{% for i in range(5) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}",
"{{ 'a' if true else 'b' }}{{ 'a' if false else 'b' }}",
"{{ not true }}{{ not none }}{{ not [] }}{{ true and 'x' }}{{ false or 'y' }}{{ 0 or [] }}{{ 1 and none }}",
"{{ 'a' is string }} {{ 1 is string }} {{ d is mapping }} {{ l is mapping }} {{ l is sequence }} {{ s is sequence }} {{ d is sequence }} {{ 1 is sequence }} {{ u is sequence }} {{ none is none }} {{ u is defined }} {{ u is undefined }} {{ n is defined }}",
"{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(2) }} {{ 'a' is in ['a'] }} {{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 'ab' is lower }} {{ 'AB' is upper }} {{ false is sameas false }} {{ range is callable }} {{ true is boolean }} {{ true is true }} {{ 0 is false }}",
"{{ s[0] }}{{ s[-1] }}{{ s[1:] }}{{ s[::-1] }}{{ s[::2] }}{{ l[-2:] }}{{ l[:-1] }}{{ l[5:] }}{{ s[10] }}|{{ l[1:u] }}|",
"{{ '😀ab'[1] }}|{{ '😀ab'|length }}|{{ '😀ab'[:1] }}|{{ '😀ab'|list }}|{{ '😀ab'|reverse }}",
"{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(none, 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ 'a b c'.rsplit(none, 1) }} {{ 'a'.split('a') }}",
"{{ 'xxhixx'.strip('x') }} {{ 'ab\\ncd\\r\\nef'.splitlines() }} {{ '  x '.lstrip() }}|{{ '  x '.rstrip() }}|",
"{{ 'abc'.find('c') }} {{ 'abc'.find('z') }} {{ 'abcabc'.rfind('b') }} {{ 'abcabc'.count('b') }}",
"{{ 'abc'.index('z') }}",
"{{ 'hello world'.title() }} {{ 'HELLO'.capitalize() }} {{ 'aBc'.swapcase() }} {{ 'ABC'.lower() }} {{ 'abc'.upper() }}",
"{{ d.get('zz') }} {{ d.get('a', 5) }} {{ d.keys() }} {{ d.values() }} {{ d.items() }}",
"{{ d.pop('a') }}",
"{{ d.update({}) }}",
"{{ l.index(1) }} {{ l.count(1) }} {{ l.copy() }} {{ d.copy() }}",
"{{ 'a'.zfill(3) }} {{ 'a'.center(5,'*') }} {{ 'a'.center(4) }}| {{ 'a'.ljust(3) }}| {{ 'a'.rjust(3, '.') }} {{ '-5'.zfill(4) }}",
"{{ '3'.isdigit() }} {{ 'a b'.partition(' ') }} {{ 'a b c'.rpartition(' ') }} {{ 'abc'.isalpha() }} {{ ' '.isspace() }} {{ 'Ab'.istitle() }}",
"{{ 'abc'.startswith(('x','a')) }} {{ 'abc'.endswith('bc', 0, 2) }} {{ 'abc'.startswith('b', 1) }}",
"{{ 'aXbXc'.replace('X', '-', 1) }} {{ 'abc'.replace('', '-') }} {{ 'aaa'|replace('a', 'b', 2) }}",
"{{ ', '.join(['a','b']) }} {{ ''.join('abc') }}",
"{{ ', '.join([1]) }}",
"{{ 'x'.removeprefix('x') }}{{ 'abc'.removesuffix('c') }}",
"{{ [1,2,3]|batch(2)|list }} {{ [1,2,3]|slice(2)|list }} {{ [1,2,3]|batch(2, 0)|list }}",
"{{ [{'a':1},{'a':2},{'b':3}]|map(attribute='a')|list }} {{ [{'a':1},{'a':2},{'b':3}]|map(attribute='a', default=0)|list }} {{ [{'a':1},{'a':2}]|selectattr('a', 'equalto', 2)|list }} {{ [{'a':1},{'a':0}]|selectattr('a')|list }} {{ [{'a':1},{'a':0}]|rejectattr('a')|list }}",
"{{ [{'a':{'b':1}}]|map(attribute='a.b')|list }} {{ [[1,2]]|map(attribute='1')|list }} {{ [1,2]|map('int')|list }} {{ ['a']|map('upper')|list }}",
"{{ none|map('upper')|list }}",
"{{ [1,'a']|sort }}",
"{{ 'abc'|wordcount }} {{ 'a b c'|wordcount }} {{ 'hello world foo bar'|truncate(9) }} {{ 'hello world foo bar baz qux'|truncate(12, true) }}",
"{{ 1.5|round }} {{ 2.5|round }} {{ 2.675|round(2) }} {{ 3|round }} {{ 1.23|round(1, 'floor') }} {{ -1.5|abs }} {{ -3|abs }}",
"{{ '<a & b>'|e }} {{ '<a>'|escape|safe }} {{ ('<'|e) + '<' }} {{ '<b>x</b>'|striptags }}",
"{{ '%s'|format('x') }} {{ '%(a)s'|format(a=1) }} {{ 'x'|center(5) }}|",
"{{ [1,2]|first }} {{ [1,2]|last }} {{ []|first }}| {{ []|last }}| {{ 'ab'|first }} {{ 'ab'|last }}",
"{{ d|length }} {{ s|count }} {{ 5|length }}",
"{{ [[1,'a'],[2,'b']]|map('first')|list }} {{ [('b',1),('a',2)]|sort|list }}",
"{{ [{'n':'x','v':2},{'n':'y','v':1}]|sort(attribute='v')|map(attribute='n')|join }}",
"{{ [{'g':'a','v':1},{'g':'b','v':2},{'g':'a','v':3}]|groupby('g') }}",
"{{ l|list is sequence }} {{ (l|select) is iterable }} {{ (l|select) is sequence }} {{ l|select|length }}",
"{{ l|select|tojson }}",
"{{ d.items()|tojson }}",
"{{ (1,2)|tojson }} {{ {1:2, true:3, none:4}|tojson }} {{ {'a': u}|tojson }}",
"{{ 'a\\tb\\n\"c\"\\\\ \\x01 é 😀'|tojson }}|{{ 'a\\tb\\n\"c\"\\\\ \\x01 é 😀'|tojson(ensure_ascii=true) }}",
"{{ \"it's\" }}|{{ [\"it's\", 'say \"hi\"', \"both ' \\\"\"] }}|{{ ['a\\nb', '\\x00', 'é', '😀', '\\u200b', '\\u00a0'] }}",
"{{ dict(a=1, b=2) }} {{ dict([('x', 1)]) }} {{ dict({'a': 1}, b=2) }}",
"{% set j = joiner(', ') %}{% for x in l %}{{ j() }}{{ x }}{% endfor %}",
"{{ raise_exception('boom ' ~ 1) }}",
"{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d') }}|{{ strftime_now('%B %d, %Y') }}|{{ strftime_now('%A %-d %H:%M %p %j %U %W %c') }}",
"{{ {'a': 1}['a'] }}{{ {'a': 1}.a }}{{ [1,2].0 }}{{ l.1 }}",
"{{ {1: 'x'}[1] }}{{ {1: 'x'}[1.0] }}{{ {1: 'x'}[true] }}{{ {1: 'x'}['1'] }}|",
"{{ {[1]: 2} }}",
"{{ d[l] }}|",
"{{ '{{' }} {{ '}}' }} {{ \"%}\" }} {{ '{%' ~ '%}' }}",
"{% raw %}{{ not parsed }}{% endraw %}|{%- raw -%}  x  {%- endraw -%}|",
"  {% if true %}\n    x\n  {% endif %}\n  {%- if true %}  y  {% endif -%}\na {# comment #} b\n  {# line comment #}\nc\n{%+ if true %}keep{% endif +%}\nz\n{{ 'a' }}\n   {{ 'b' }}\n{%- for i in [1] %}\n  {{ i }}\n{% endfor %}\n{{ 'multi\nline' }}",
"{{ \"\\x41\\u0042\\101\\d\\N\" }}",
"{{ 'a' 'b' }}",
"{{ x.y }}",
"{{ 1 + 2 ~ 3 }}|{{ 'a' ~ 1 + 2 }}",
"{{ [1, 2, 3,] }} {{ {'a': 1,} }} {{ (1, 2,) }}",
"{{ -1|abs }} {{ not 1 == 2 }} {{ 2 * 3 + 1 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }}",
"{{ 'abc' is string and 1 }}",
"{{ l is not none }} {{ u is not defined }} {{ 1 is not string }}",
"{{ l|length > 2 }} {{ l|length is odd }} {{ 3 is odd|string }}",
"{{ d.nope.deeper }}",
"{{ caller }}|{{ varargs }}|",
"{{ '%d%%' % 50 }}",
"{{ True }} {{ False }} {{ None }} {{ none }}",
"{% if messages is defined %}x{% endif %}",
"{{ \"ünï\"|upper }} {{ 'ß'|upper }} {{ 'İ'|lower|length }}",
"{{ 'abc'[1.0] }}|",
"{{ l + [4] }} {{ l + (4,) }}",
"{{ [1,2] * 2 }} {{ (1,) * 3 }}",
"{{ 'x' * -1 }}|",
"{{ 1 if 'a' in 'abc' }} {{ 'b' not in ['a'] }}",
"{{ 10 / 4 }} {{ 10 // 4 }} {{ 10 % 4 }} {{ -10 / 4 }} {{ 1e300 * 1e10 }} {{ 3 - 5.0 }}",
"{{ 0.1 * 3 }} {{ 1.1 + 2.2 }} {{ 1e22 }} {{ 123456789.123456789 }} {{ 5e-324 }} {{ 2.0 ** 0.5 }}",
"a\r\nb {% if true %}\r\nc{% endif %}\r\n",
"x\n",
"x\n\n",
"  {%- if true %}\n\tx\n{% endif %}\n  \n",
"{# a -#}   b",
"{#- a #}b\n{#+ c +#}\nd",
"{% for i in [1,2] %}{% for j in [3,4] %}{{ loop.index }}{% endfor %}{{ loop.index }};{% endfor %}",
"{% for i in [1,2] %}{% set x = i %}{% endfor %}{{ x }}|{{ i }}",
"{% set x = 1 %}{% for i in [1,2] %}{% if true %}{% set x = x + i %}{% endif %}{{ x }}{% endfor %}{{ x }}",
"{% macro m() %}{% set y = 5 %}{{ y }}{% endmacro %}{{ m() }}{{ y }}",
"{% macro a(x) %}[{{ b(x) }}]{% endmacro %}{% macro b(x) %}{{ x * 2 }}{% endmacro %}{{ a(3) }}",
"{% set ns = namespace(v=[]) %}{% macro add(x) %}{% set ns.v = ns.v + [x] %}{% endmacro %}{{ add(1) }}{{ add(2) }}{{ ns.v }}",
"{% set x = x %}{{ x }}|{{ x is defined }}",
"{% for k, v in {'a': 1, 'b': 2}.items() if k != 'a' %}{{ loop.index }}{{ k }}{{ v }}{% else %}none{% endfor %}",
"{% for x in [1,2,3] if x > 5 %}{{ x }}{% else %}empty{{ x }}{% endfor %}",
"{% for i in [1,2] %}{% for j in [1,2] %}{% if j == 2 %}{% break %}{% endif %}{{ i }}{{ j }}{% endfor %}{% endfor %}",
"{% for x in [1,2,3] %}{{ loop.changed(x > 1) }}{% endfor %}",
"{% macro m(a, b=g) %}{{ a }}{{ b }}{% endmacro %}{% set g = 'G' %}{{ m(1) }}",
"{% macro f(n) %}{{ n }}{% if n > 0 %}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(2) }}",
"{% for i in [1] %}{% filter upper %}a{{ i }}{% endfilter %}{% endfor %}",
"{% for i in [1, 2] %}{% set b %}x{{ i }}{% endset %}{{ b }}{% endfor %}{{ b }}",
"{% if true %}{% set t = 1 %}{% endif %}{% macro m() %}{{ t }}{% endmacro %}{{ m() }}",
"{% for m in messages %}{{ loop.index0 }}{{ m }}{% endfor %}{{ messages|length }}",
"{% set messages = messages + ['x'] %}{{ messages }}",
"{% for x in l %}{% set l = [9] %}{{ l }}{% endfor %}{{ l }}",
"{% macro m() %}{{ caller() }}{{ caller() }}{% endmacro %}{% set c = namespace(n=0) %}{% call m() %}{% set c.n = c.n + 1 %}{{ c.n }}{% endcall %}",
"{% macro m(x) %}{{ varargs|length }}{% endmacro %}{{ m(1,2,3) }}",
"{% set a, b = 'xy' %}{{ a }}{{ b }}",
"{% for a, (b, c) in [(1, (2, 3))] %}{{ a }}{{ b }}{{ c }}{% endfor %}",
"{{ loop.index if loop is defined else 'no loop' }}",
"{% for i in range(3) %}{{ loop.cycle('a', 'b') }}{{ loop.revindex0 }}{{ loop.previtem|default('-') }}{% endfor %}",
"{% set d = {'a': 1} %}{% set d2 = d %}{{ d is sameas d2 }}{{ d == {'a': 1} }}",
"{% for i in [1, 2] %}{% if loop.first %}F{% elif loop.last %}L{% else %}M{% endif %}{% endfor %}",
"{% macro m() %}{{ kwargs }}{% endmacro %}{{ m(a=1, b=2) }}",
"{% macro m(x) %}{{ x }}{% endmacro %}{{ m(x=1) }}{{ m() }}|"
]

ATOMS = ["1", "0", "-3", "2.5", "0.1", "1e3", "true", "false", "none", '"a"', "'Ab c'", '""', "[1, 2]", "[]", "(1,)",
         '{"k": 1}', "{}", "u", "s", "l", "d2", "n", "i", "f", "lst2", '"é😀"', '" x "', "range(3)", '"1,2"', '"3"']
VARIABLE_ATOMS = {"u", "s", "l", "d2", "n", "i", "f", "lst2"}
BINARY = ["+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", ">", "<=", ">=", "in", "not in", "and", "or"]
FILTERS = ["length", "string", "upper", "lower", "trim", "first", "last", "list", "tojson", "join", 'join(",")', "int", "float",
           "abs", 'default("D")', "reverse|list", "sort", "unique|list", "sum", "min", "max", "items|list", "dictsort", "title",
           "capitalize", "count", "select|list", "reject|list", 'map("string")|list', 'selectattr("k")|list', "batch(2)|list",
           "round", "round(1)", "indent(2)", 'replace("a","b")', "e", "safe", "wordcount", "center(7)", 'truncate(3, true, "", 0)',
           "tojson(indent=1)", "list|length", "pprint"]
TESTS = ["defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "sequence", "iterable", "boolean",
         "true", "false", "odd", "even", "lower", "upper", "callable", "divisibleby 2", 'in [1, "a"]', "eq 1", "sameas none", "escaped"]
METHODS = [".upper()", ".split()", '.split(",")', ".strip()", '.startswith("a")', '.get("k")', ".items()|list", ".keys()|list",
           ".count(1)", ".index(1)", '.replace("a","z")', ".title()", '.find("b")', '.endswith(("c","x"))', '.lstrip("A")',
           ".format(1)", '.join(["x","y"])', ".append(1)", "[0]", "[-1]", "[1:]", "[::-1]", ".k", '["k"]', ".real", "|length"]


def expression(rng, depth=0):
    """A random expression and whether it reads a variable (subscripts of constants are folded by jinja2)."""
    r = rng.random()
    if depth > 2 or r < 0.3:
        atom = rng.choice(ATOMS)
        return atom, atom in VARIABLE_ATOMS
    a, va = expression(rng, depth + 1)
    if r < 0.5:
        b, vb = expression(rng, depth + 1)
        return f"({a} {rng.choice(BINARY)} {b})", va or vb
    if r < 0.65:
        return f"({a})|{rng.choice(FILTERS)}", va
    if r < 0.75:
        return f"({a} is {rng.choice(['', 'not '])}{rng.choice(TESTS)})", va
    if r < 0.85:
        method = rng.choice(METHODS)
        if method.startswith("[") and not va:
            method = ".upper()"
        return f"({a}){method}", va
    if r < 0.9:
        return f"(not {a})", va
    b, vb = expression(rng, depth + 1)
    c, vc = expression(rng, depth + 1)
    if r < 0.95:
        return f"({a} if {b} else {c})", va or vb or vc
    return f"[{a}, {b}]", va or vb


TEXTS = ["", " ", "  ", "\n", "\n\n", " \n", "\n  ", "\t", "a", " a ", "a\n", "\n a \n", "\u00a0", "\r\n", "x\r\ny", "  \n\t "]


def layout(rng, depth=0):
    """Random text and tags with whitespace control (-, +), comments, raw blocks."""
    out = ""
    for _ in range(rng.randint(1, 4)):
        out += rng.choice(TEXTS)
        if depth < 3 and rng.random() < 0.7:
            l, r = rng.choice(["", "-", "+"]), rng.choice(["", "-", "+"])
            kind = rng.choice(["if", "var", "com", "for", "set", "raw"])
            if kind == "if":
                out += f"{{%{l} if true {r}%}}" + layout(rng, depth + 1) + f"{{%{rng.choice(['', '-', '+'])} endif {rng.choice(['', '-', '+'])}%}}"
            elif kind == "for":
                out += f"{{%{l} for i in [1, 2] {r}%}}" + layout(rng, depth + 1) + f"{{%{rng.choice(['', '-'])} endfor {rng.choice(['', '-'])}%}}"
            elif kind == "var":
                out += f"{{{{{l.replace('+', '')} 'v' {r.replace('+', '')}}}}}"
            elif kind == "com":
                out += f"{{#{l} c {r}#}}"
            elif kind == "set":
                out += f"{{%{l} set x = 1 {r}%}}"
            else:
                out += f"{{%{l} raw {rng.choice(['', '-'])}%}}" + rng.choice(TEXTS) + "{{ x }}" + rng.choice(TEXTS)
                out += f"{{%{rng.choice(['', '-', '+'])} endraw {rng.choice(['', '-', '+'])}%}}"
    return out


def main():
    warnings.filterwarnings("ignore")  # jinja2 compiles some probes to Python that warns (subscripting a constant)
    env = oracle.make_env()
    rng = random.Random(20240726)
    templates = list(PROBES)
    templates += ["{{ " + expression(rng)[0] + " }}" for _ in range(1500)]
    templates += [layout(rng) + rng.choice(["", "\n"]) for _ in range(500)]
    cases = []
    for t in templates:
        r = oracle.render(env, t, [], None, False, copy.deepcopy(VARIABLES), "<s>", "</s>")
        if "expected" in r:
            if " at 0x" in r["expected"] or re.search(r"\d{17,}", r["expected"]):
                continue
            cases.append([t, r["expected"]])
        else:
            cases.append([t, {"error": r["expected_error"].split(":")[0]}])
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump({"about": "made by test/chat/tools/semantics.py; case: [template, render or {error: Python exception type}]",
                   "variables": VARIABLES, "cases": cases}, f, ensure_ascii=False, indent=0)
    print(f"{len(cases)} cases -> {sys.argv[1]}", file=sys.stderr)


if __name__ == "__main__":
    main()
