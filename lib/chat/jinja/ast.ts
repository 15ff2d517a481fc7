/**
 * The shapes of @huggingface/jinja's syntax tree that the interpreter reads
 * (the library's parser builds them; its own runtime is not used). @internal
 */

/** Any node. */
export interface Node {
  type: string;
}
/** The root. */
export interface ProgramNode extends Node {
  body: Node[];
}
/** `{% if %}` (an `elif` is an If inside `alternate`). */
export interface IfNode extends Node {
  test: Node;
  body: Node[];
  alternate: Node[];
}
/** `{% for %}`; `iterable` is a SelectExpression for `for x in y if cond`. */
export interface ForNode extends Node {
  loopvar: Node;
  iterable: Node;
  body: Node[];
  defaultBlock: Node[];
}
/** `{% set %}`, inline (`value`) or as a block (`body`). */
export interface SetNode extends Node {
  assignee: Node;
  value: Node | null;
  body: Node[];
}
/** `{% macro name(args) %}`. */
export interface MacroNode extends Node {
  name: IdentifierNode;
  args: Node[];
  body: Node[];
}
/** `{% call(callerArgs) macro(args) %}`. */
export interface CallStatementNode extends Node {
  call: CallNode;
  callerArgs: Node[] | null;
  body: Node[];
}
/** `{% filter name %}`. */
export interface FilterStatementNode extends Node {
  filter: Node;
  body: Node[];
}
/** A name. */
export interface IdentifierNode extends Node {
  value: string;
}
/** A literal: string, integer, float; or an array / tuple (of nodes) / object (Map of nodes). */
export interface LiteralNode<T> extends Node {
  value: T;
}
/** `a op b`. */
export interface BinaryNode extends Node {
  operator: { value: string };
  left: Node;
  right: Node;
}
/** `not a`, `-a`, `+a`. */
export interface UnaryNode extends Node {
  operator: { value: string };
  argument: Node;
}
/** `a.b`, `a[b]`, `a[b:c]`. */
export interface MemberNode extends Node {
  object: Node;
  property: Node;
  computed: boolean;
}
/** `a[start:stop:step]`'s subscript. */
export interface SliceNode extends Node {
  start?: Node;
  stop?: Node;
  step?: Node;
}
/** `f(args)`. */
export interface CallNode extends Node {
  callee: Node;
  args: Node[];
}
/** `a | f` or `a | f(args)`. */
export interface FilterNode extends Node {
  operand: Node;
  filter: Node;
}
/** `a if cond` (no else). */
export interface SelectNode extends Node {
  lhs: Node;
  test: Node;
}
/** `a if cond else b`. */
export interface TernaryNode extends Node {
  condition: Node;
  trueExpr: Node;
  falseExpr: Node;
}
/** `name=value` in a call, or a parameter with a default. */
export interface KeywordArgumentNode extends Node {
  key: IdentifierNode;
  value: Node;
}
/** `*x` or `**x` in a call. */
export interface SpreadNode extends Node {
  argument: Node;
}
