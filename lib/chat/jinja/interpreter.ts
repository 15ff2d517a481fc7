/**
 * Renders a parsed template with jinja2's semantics under transformers'
 * settings: Python values and operators, jinja2's scoping (a `for` body is a
 * new scope each iteration; `set` in it does not leak; macros see the
 * variables of where they were defined, at call time), the immutable
 * sandbox, loop controls. @huggingface/jinja parses; its runtime (JavaScript
 * semantics for `==`, `+`, `str()`, undefined values, missing filters) is
 * not used. @internal
 */
import type {
  BinaryNode,
  CallNode,
  CallStatementNode,
  FilterNode,
  FilterStatementNode,
  ForNode,
  IdentifierNode,
  IfNode,
  KeywordArgumentNode,
  LiteralNode,
  MacroNode,
  MemberNode,
  Node,
  SelectNode,
  SetNode,
  SliceNode,
  SpreadNode,
  TernaryNode,
  UnaryNode,
} from './ast';
import { callValue, getAttr, getItem, getSlice } from './attributes';
import { fail, typeError } from './errors';
import { builtinFilter, type FilterContext } from './filters';
import { NOT_TEST_PREFIX, TEST_PREFIX, TUPLE_CALL } from './lexer';
import { binaryOp, checkHashable, pyCompare, pyContains, pyEquals } from './operators';
import { pyStr } from './repr';
import { runTest } from './tests';
import { LoopContext, Namespace, PyCallable, PyFloat, Tuple, Undefined, isNumber, isStr, iterate, num, pyNumber, text, truthy, typeName, type Kwargs } from './values';

const MISSING: unique symbol = Symbol('missing');
const CONSTANTS: Record<string, unknown> = { true: true, false: false, True: true, False: false, none: null, None: null };

/** A variable scope; lookups fall back to the parent. */
export class Scope {
  readonly vars = new Map<string, unknown>();
  constructor(readonly parent: Scope | null) {}

  lookup(name: string): unknown {
    for (let s: Scope | null = this; s !== null; s = s.parent) {
      if (s.vars.has(name)) return s.vars.get(name);
    }
    return MISSING;
  }
}

class BreakSignal {}
class ContinueSignal {}
const BREAK = new BreakSignal();
const CONTINUE = new ContinueSignal();

/** Per macro body (templates are cached, so this is computed once per macro). */
const SPECIALS = new WeakMap<readonly Node[], Set<string>>();

/** Names a macro body reads that make it take `varargs`, `kwargs` or `caller`. */
function specialNames(body: Node[]): Set<string> {
  const cached = SPECIALS.get(body);
  if (cached !== undefined) return cached;
  const found = new Set<string>();
  const visit = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(visit);
    else if (x instanceof Map) x.forEach((v, k) => (visit(k), visit(v)));
    else if (x !== null && typeof x === 'object') {
      const node = x as Node;
      if (node.type === 'Identifier') {
        const name = (node as IdentifierNode).value;
        if (name === 'varargs' || name === 'kwargs' || name === 'caller') found.add(name);
        return;
      }
      for (const value of Object.values(node)) visit(value);
    }
  };
  visit(body);
  SPECIALS.set(body, found);
  return found;
}

/** Renders programs; one instance per render. */
export class Interpreter implements FilterContext {
  /** Renders the program's body in `scope`. */
  render(body: Node[], scope: Scope): string {
    const out: string[] = [];
    try {
      this.#block(body, scope, out);
    } catch (err) {
      if (err instanceof BreakSignal || err instanceof ContinueSignal) fail('TemplateSyntaxError', 'break/continue outside of a loop');
      if (err instanceof RangeError) {
        if (/call stack/i.test(err.message)) fail('RecursionError', 'maximum recursion depth exceeded');
        fail('MemoryError', err.message); // a string or array past JavaScript's limits
      }
      throw err;
    }
    return out.join('');
  }

  #block(nodes: Node[], scope: Scope, out: string[]): void {
    for (const node of nodes) {
      switch (node.type) {
        case 'If': {
          const n = node as IfNode;
          this.#block(truthy(this.eval(n.test, scope)) ? n.body : n.alternate, scope, out);
          break;
        }
        case 'For':
          this.#for(node as ForNode, scope, out);
          break;
        case 'Set':
          this.#set(node as SetNode, scope);
          break;
        case 'Macro':
          this.#defineMacro(node as MacroNode, scope);
          break;
        case 'CallStatement':
          out.push(pyStr(this.#callBlock(node as CallStatementNode, scope)));
          break;
        case 'FilterStatement': {
          const n = node as FilterStatementNode;
          const inner: string[] = [];
          this.#block(n.body, scope, inner);
          out.push(pyStr(this.#applyFilterNode(inner.join(''), n.filter, scope)));
          break;
        }
        case 'Comment':
          break;
        case 'Break':
          throw BREAK;
        case 'Continue':
          throw CONTINUE;
        default:
          out.push(pyStr(this.eval(node, scope)));
      }
    }
  }

  #for(node: ForNode, scope: Scope, out: string[]): void {
    let iterable: unknown;
    let condition: Node | null = null;
    if (node.iterable.type === 'SelectExpression') {
      const select = node.iterable as SelectNode;
      iterable = this.eval(select.lhs, scope);
      condition = select.test;
    } else {
      iterable = this.eval(node.iterable, scope);
    }
    let items = iterate(iterable);
    if (condition !== null) {
      const test = condition;
      items = items.filter((item) => {
        const s = new Scope(scope);
        this.#bind(node.loopvar, item, s);
        return truthy(this.eval(test, s));
      });
    }
    if (items.length === 0) {
      this.#block(node.defaultBlock, new Scope(scope), out);
      return;
    }
    // jinja2 compares loop.changed()'s arguments with those of its previous call in this loop.
    let last: Tuple | undefined;
    const changed = (args: unknown[]): boolean => {
      const now = new Tuple(args);
      if (last !== undefined && pyEquals(last, now)) return false;
      last = now;
      return true;
    };
    for (let i = 0; i < items.length; i++) {
      const s = new Scope(scope);
      s.vars.set('loop', new LoopContext(i, items, 0, changed));
      this.#bind(node.loopvar, items[i], s);
      try {
        this.#block(node.body, s, out);
      } catch (err) {
        if (err === BREAK) break;
        if (err === CONTINUE) continue;
        throw err;
      }
    }
  }

  /** Assigns to a name or unpacks into a tuple of names. */
  #bind(target: Node, value: unknown, scope: Scope): void {
    if (target.type === 'Identifier') {
      scope.vars.set((target as IdentifierNode).value, value);
      return;
    }
    if (target.type === 'TupleLiteral' || target.type === 'ArrayLiteral') {
      const names = (target as LiteralNode<Node[]>).value;
      const items = iterate(value);
      if (items.length < names.length) fail('ValueError', `not enough values to unpack (expected ${names.length}, got ${items.length})`);
      if (items.length > names.length) fail('ValueError', `too many values to unpack (expected ${names.length})`);
      names.forEach((n, i) => this.#bind(n, items[i], scope));
      return;
    }
    fail('TemplateSyntaxError', `can't assign to ${target.type}`);
  }

  #set(node: SetNode, scope: Scope): void {
    let value: unknown;
    if (node.value !== null) value = this.eval(node.value, scope);
    else {
      const inner: string[] = [];
      this.#block(node.body, scope, inner);
      value = inner.join('');
    }
    if (node.assignee.type === 'MemberExpression') {
      const m = node.assignee as MemberNode;
      const target = this.eval(m.object, scope);
      if (!(target instanceof Namespace)) fail('TemplateRuntimeError', 'cannot assign attribute on non-namespace object');
      if (m.computed || m.property.type !== 'Identifier') fail('TemplateSyntaxError', "can't assign to a subscript");
      target.attrs.set((m.property as IdentifierNode).value, value);
      return;
    }
    this.#bind(node.assignee, value, scope);
  }

  #defineMacro(node: MacroNode, scope: Scope): void {
    const name = node.name.value;
    scope.vars.set(name, new PyCallable(name, (args, kwargs) => this.#callMacro(name, node.args, node.body, scope, args, kwargs), 'macro'));
  }

  /** Calls a macro (or a call block's `caller`): binds arguments as jinja2's `Macro.__call__` does and renders the body. */
  #callMacro(name: string, params: Node[], body: Node[], defined: Scope, args: unknown[], kwargs: Kwargs): string {
    const specials = specialNames(body);
    const s = new Scope(defined);
    const kw = new Map(kwargs);
    const caller = kw.get('caller');
    if (specials.has('caller')) kw.delete('caller');
    params.forEach((p, i) => {
      const isKw = p.type === 'KeywordArgumentExpression';
      const pname = isKw ? (p as KeywordArgumentNode).key.value : (p as IdentifierNode).value;
      let value: unknown;
      if (i < args.length) {
        if (kw.has(pname)) typeError(`macro '${name}' got multiple values for argument '${pname}'`);
        value = args[i];
      } else if (kw.has(pname)) {
        value = kw.get(pname);
        kw.delete(pname);
      } else if (isKw) {
        value = this.eval((p as KeywordArgumentNode).value, s);
      } else {
        value = new Undefined(`parameter '${pname}' was not provided`);
      }
      s.vars.set(pname, value);
    });
    if (args.length > params.length) {
      if (!specials.has('varargs')) typeError(`macro '${name}' takes not more than ${params.length} argument(s)`);
      s.vars.set('varargs', new Tuple(args.slice(params.length)));
    } else if (specials.has('varargs')) s.vars.set('varargs', new Tuple([]));
    if (specials.has('kwargs')) s.vars.set('kwargs', kw);
    else if (kw.size > 0) typeError(`macro '${name}' takes no keyword argument '${[...kw.keys()][0]}'`);
    if (specials.has('caller')) s.vars.set('caller', caller ?? new Undefined('No caller defined'));
    const out: string[] = [];
    this.#block(body, s, out);
    return out.join('');
  }

  #callBlock(node: CallStatementNode, scope: Scope): unknown {
    const callerParams = node.callerArgs ?? [];
    const caller = new PyCallable('caller', (args, kwargs) => this.#callMacro('caller', callerParams, node.body, scope, args, kwargs), 'macro');
    const fn = this.eval(node.call.callee, scope);
    const [args, kwargs] = this.#args(node.call.args, scope);
    kwargs.set('caller', caller);
    return callValue(fn, args, kwargs);
  }

  #args(nodes: Node[], scope: Scope): [unknown[], Kwargs] {
    const args: unknown[] = [];
    const kwargs: Kwargs = new Map();
    for (const n of nodes) {
      if (n.type === 'KeywordArgumentExpression') {
        const k = n as KeywordArgumentNode;
        kwargs.set(k.key.value, this.eval(k.value, scope));
      } else if (n.type === 'SpreadExpression') {
        args.push(...iterate(this.eval((n as SpreadNode).argument, scope)));
      } else if (n.type === 'KeywordSpreadExpression') {
        const m = this.eval((n as SpreadNode).argument, scope);
        if (!(m instanceof Map)) typeError(`argument after ** must be a mapping, not ${typeName(m)}`);
        for (const [k, v] of m) kwargs.set(isStr(k) ? text(k) : typeError('keywords must be strings'), v);
      } else {
        args.push(this.eval(n, scope));
      }
    }
    return [args, kwargs];
  }

  /** Evaluates an expression. */
  eval(node: Node, scope: Scope): unknown {
    switch (node.type) {
      case 'StringLiteral':
        return (node as LiteralNode<string>).value;
      case 'IntegerLiteral':
        return (node as LiteralNode<number>).value;
      case 'FloatLiteral':
        return new PyFloat((node as LiteralNode<number>).value);
      case 'Identifier': {
        const name = (node as IdentifierNode).value;
        if (name in CONSTANTS) return CONSTANTS[name];
        const v = scope.lookup(name);
        return v === MISSING ? new Undefined(`'${name}' is undefined`) : v;
      }
      case 'ArrayLiteral':
        return (node as LiteralNode<Node[]>).value.map((n) => this.eval(n, scope));
      case 'TupleLiteral':
        return new Tuple((node as LiteralNode<Node[]>).value.map((n) => this.eval(n, scope)));
      case 'ObjectLiteral': {
        const m = new Map<unknown, unknown>();
        for (const [k, v] of (node as LiteralNode<Map<Node, Node>>).value) {
          const key = this.eval(k, scope);
          checkHashable(key);
          m.set(key instanceof Undefined ? key : isStr(key) ? text(key) : key, this.eval(v, scope));
        }
        return m;
      }
      case 'BinaryExpression':
        return this.#binary(node as BinaryNode, scope);
      case 'UnaryExpression':
        return this.#unary(node as UnaryNode, scope);
      case 'MemberExpression':
        return this.#member(node as MemberNode, scope);
      case 'CallExpression': {
        const n = node as CallNode;
        if (n.callee.type === 'Identifier' && (n.callee as IdentifierNode).value === TUPLE_CALL) return new Tuple(this.#args(n.args, scope)[0]);
        const fn = this.eval(n.callee, scope);
        const [args, kwargs] = this.#args(n.args, scope);
        return callValue(fn, args, kwargs);
      }
      case 'FilterExpression': {
        const n = node as FilterNode;
        return this.#applyFilterNode(this.eval(n.operand, scope), n.filter, scope);
      }
      case 'SelectExpression': {
        const n = node as SelectNode;
        return truthy(this.eval(n.test, scope)) ? this.eval(n.lhs, scope) : new Undefined('the inline if-expression evaluated to false and no else section was defined.');
      }
      case 'Ternary': {
        const n = node as TernaryNode;
        return truthy(this.eval(n.condition, scope)) ? this.eval(n.trueExpr, scope) : this.eval(n.falseExpr, scope);
      }
    }
    return fail('TemplateSyntaxError', `unexpected ${node.type} in an expression`);
  }

  #binary(node: BinaryNode, scope: Scope): unknown {
    const op = node.operator.value;
    const left = this.eval(node.left, scope);
    if (op === 'and') return truthy(left) ? this.eval(node.right, scope) : left;
    if (op === 'or') return truthy(left) ? left : this.eval(node.right, scope);
    const right = this.eval(node.right, scope);
    switch (op) {
      case '==':
        return pyEquals(left, right);
      case '!=':
        return !pyEquals(left, right);
      case '<':
        return pyCompare(left, right, op) < 0;
      case '>':
        return pyCompare(left, right, op) > 0;
      case '<=':
        return pyCompare(left, right, op) <= 0;
      case '>=':
        return pyCompare(left, right, op) >= 0;
      case 'in':
        return pyContains(right, left);
      case 'not in':
        return !pyContains(right, left);
    }
    return binaryOp(op, left, right);
  }

  #unary(node: UnaryNode, scope: Scope): unknown {
    const v = this.eval(node.argument, scope);
    const op = node.operator.value;
    if (op === 'not') return !truthy(v);
    if (v instanceof Undefined) return v.fail();
    if (!isNumber(v)) return typeError(`bad operand type for unary ${op}: '${typeName(v)}'`);
    if (op === '-') return v instanceof PyFloat ? new PyFloat(-v.v) : pyNumber(-num(v));
    return v instanceof PyFloat ? v : Number(v);
  }

  #member(node: MemberNode, scope: Scope): unknown {
    const obj = this.eval(node.object, scope);
    if (node.computed) {
      if (node.property.type === 'SliceExpression') {
        const sl = node.property as SliceNode;
        const part = (n: Node | undefined): unknown => (n === undefined ? null : this.eval(n, scope));
        return getSlice(obj, part(sl.start), part(sl.stop), part(sl.step));
      }
      return getItem(obj, this.eval(node.property, scope));
    }
    if (node.property.type === 'IntegerLiteral') return getItem(obj, (node.property as LiteralNode<number>).value);
    return getAttr(obj, (node.property as IdentifierNode).value);
  }

  #applyFilterNode(value: unknown, filter: Node, scope: Scope): unknown {
    if (filter.type === 'Identifier') return this.callFilter((filter as IdentifierNode).value, value, [], new Map());
    const call = filter as CallNode;
    const [args, kwargs] = this.#args(call.args, scope);
    return this.callFilter((call.callee as IdentifierNode).value, value, args, kwargs);
  }

  /** Applies a filter (or a test rewritten as one by the lexer). */
  callFilter(name: string, value: unknown, args: unknown[], kwargs: Kwargs): unknown {
    if (name.startsWith(NOT_TEST_PREFIX)) return !this.callTest(name.slice(NOT_TEST_PREFIX.length), value, args, kwargs);
    if (name.startsWith(TEST_PREFIX)) return this.callTest(name.slice(TEST_PREFIX.length), value, args, kwargs);
    const filter = builtinFilter(name);
    if (filter === undefined) return fail('TemplateRuntimeError', `No filter named '${name}' found.`);
    return filter(this, value, args, kwargs);
  }

  /** Runs a test. */
  callTest(name: string, value: unknown, args: unknown[], _kwargs: Kwargs): boolean {
    return runTest(name, value, args);
  }
}
