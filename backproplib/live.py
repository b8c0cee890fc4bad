"""Live copies at run time: the cells after a blank "type here" cell wait for it instead of raising.

A live copy (``notebooks/live/``, made by ``python -m backproplib.authoring live``) has some cells emptied
for the lecturer to type in class.  Later cells may need names those cells define.  The copy calls, in a
small cell right after its setup cell,

    import backproplib.live
    backproplib.live.wait_for({"TYPE HERE 1 · Module backward (Case 2)": ["dJ_dy", "g_b", "rows"]})

which maps each blank cell's label to the names that later cells need from it (directly, or through
another cell that waits).  From then on, before IPython runs a cell, it looks at the cell's code: if the
code reads a listed name (one it does not define itself first) and that name is not defined in the
kernel yet, the cell is not run; instead it prints one line, e.g.

    ⏸ Waiting for dJ_dy, g_b from TYPE HERE 1 above (Module backward (Case 2)). Type that cell and run it,
    then run the cells from there down to this one.

and does nothing else (no error, so "Run all", nbclient and nbval go on).  Once the lecturer has typed the
blank and run it, the names exist and the same cells run normally.  Nothing is remembered between cells
but the kernel's own variables, so running cells twice or out of order gives the same answer; calling
`wait_for` again replaces the earlier list; `stop_waiting()` removes the hook.  A cell's visible source is
never changed.  The hook is an IPython AST transformer, so it works wherever the kernel is ipykernel
(JupyterLab, classic Notebook, Voilà, nbclient, nbval); without IPython `wait_for` does nothing.

`usage` is the analysis both sides share: the generator uses it to find which later cells depend on a
blank (and which blanks to refuse), the kernel uses it to decide whether a cell waits, so they agree.
"""
import ast
from collections import namedtuple

__all__ = ["wait_for", "stop_waiting", "waiting_message", "usage", "Usage"]

WAITING = "⏸ Waiting for"

Usage = namedtuple("Usage", "loads binds mutates star_import")
Usage.__doc__ = """What one cell's code does with the kernel's global names.

loads: names read before the cell binds them itself (in order of first use; a function defined in the
    cell counts the globals its body reads, since calling it reads them);
binds: names the cell (re)binds at its top level; mutates: names whose object the cell changes in
    place (``x[i] = …``, ``x.a = …``, ``del x[i]``) without binding them first; star_import: it has
    ``from … import *`` (binds names nobody can list)."""


# ---------------------------------------------------------------------------- the analysis

def _target_names(target):
    """Names bound by an assignment target (a Name, or a tuple/list/starred of them)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _target_names(element)]
    return []


def _base_name(node):
    """`x` for x.a, x[i], x.a[i].b, …; None when the base is not a plain name."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _stored_in(nodes):
    """Every name a function body binds anywhere (its locals), not looking into nested scopes."""
    names, stack = set(), list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
        stack.extend(ast.iter_child_nodes(node))
    return names


def _arguments(args):
    every = [*getattr(args, "posonlyargs", []), *args.args, *args.kwonlyargs]
    every += [a for a in (args.vararg, args.kwarg) if a is not None]
    return {a.arg for a in every}


class _FunctionLocals(set):
    """The local names of a function or lambda body: other names there are read when it is called."""


class _Reader:
    """Walks one cell: top-level statements in order; function bodies as deferred global reads."""

    def __init__(self):
        self.loads, self.binds, self.mutates, self.star = [], [], [], False
        self.bound = set()              # bound so far at the top level of this cell
        self.deferred = []              # globals read inside function bodies (resolved at call time)

    # -- helpers
    def load(self, name, scope):
        if scope and any(name in local for local in scope):
            return
        if scope and any(isinstance(local, _FunctionLocals) for local in scope):
            self.deferred.append(name)                          # read when the function is called
        elif name not in self.bound and name not in self.loads:
            self.loads.append(name)

    def bind(self, name, scope):
        if scope is None:
            self.bound.add(name)
            if name not in self.binds:
                self.binds.append(name)

    def mutate(self, node, scope):
        name = _base_name(node)
        if name is not None and scope is None and name not in self.bound and name not in self.mutates:
            self.mutates.append(name)

    # -- expressions
    def expr(self, node, scope):
        if node is None:
            return
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                self.load(node.id, scope)
            return
        if isinstance(node, ast.Lambda):
            self.arguments(node.args, scope)
            self.expr(node.body, (scope or []) + [_FunctionLocals(_arguments(node.args))])
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            self.expr(node.generators[0].iter, scope)            # evaluated in the enclosing scope
            inner = (scope or []) + [{n for g in node.generators for n in _target_names(g.target)}]
            for i, generator in enumerate(node.generators):
                if i:
                    self.expr(generator.iter, inner)
                for condition in generator.ifs:
                    self.expr(condition, inner)
            for part in ((node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,)):
                self.expr(part, inner)
            return
        if isinstance(node, ast.NamedExpr):
            self.expr(node.value, scope)
            self.bind(node.target.id, scope)
            return
        for child in ast.iter_child_nodes(node):
            self.expr(child, scope)

    def arguments(self, args, scope):
        for default in [*args.defaults, *args.kw_defaults]:
            self.expr(default, scope)

    def annotations(self, node, scope):
        args = node.args
        for a in [*getattr(args, "posonlyargs", []), *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if a is not None:
                self.expr(a.annotation, scope)
        self.expr(node.returns, scope)

    def target(self, node, scope):
        """An assignment target: names are bound; x[i] / x.a change x in place."""
        if isinstance(node, ast.Name):
            self.bind(node.id, scope)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                self.target(element, scope)
        elif isinstance(node, ast.Starred):
            self.target(node.value, scope)
        else:                                                   # Attribute or Subscript
            self.expr(node, scope)
            self.mutate(node, scope)

    # -- statements
    def block(self, statements, scope):
        for statement in statements:
            self.statement(statement, scope)

    def function(self, node, scope):
        for decorator in node.decorator_list:
            self.expr(decorator, scope)
        self.arguments(node.args, scope)
        self.annotations(node, scope)
        local = _FunctionLocals(_arguments(node.args) | _stored_in(node.body))
        local -= {n for s in ast.walk(node) if isinstance(s, ast.Global) for n in s.names}
        self.block(node.body, (scope or []) + [local])
        self.bind(node.name, scope)

    def statement(self, node, scope):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.function(node, scope)
        elif isinstance(node, ast.ClassDef):
            for part in [*node.decorator_list, *node.bases, *node.keywords]:
                self.expr(part, scope)
            self.block(node.body, (scope or []) + [_FunctionLocals(_stored_in(node.body))])
            self.bind(node.name, scope)
        elif isinstance(node, ast.Assign):
            self.expr(node.value, scope)
            for target in node.targets:
                self.target(target, scope)
        elif isinstance(node, ast.AugAssign):
            self.expr(node.value, scope)
            if isinstance(node.target, ast.Name):
                self.load(node.target.id, scope)
                self.bind(node.target.id, scope)
            else:
                self.target(node.target, scope)
        elif isinstance(node, ast.AnnAssign):
            self.expr(node.value, scope)
            self.expr(node.annotation, scope)
            if node.value is not None or not isinstance(node.target, ast.Name):
                self.target(node.target, scope)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.expr(node.iter, scope)
            self.target(node.target, scope)
            self.block(node.body, scope)
            self.block(node.orelse, scope)
        elif isinstance(node, (ast.While, ast.If)):
            self.expr(node.test, scope)
            self.block(node.body, scope)
            self.block(node.orelse, scope)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.expr(item.context_expr, scope)
                if item.optional_vars is not None:
                    self.target(item.optional_vars, scope)
            self.block(node.body, scope)
        elif isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            self.block(node.body, scope)
            for handler in node.handlers:
                self.expr(handler.type, scope)
                if handler.name:
                    self.bind(handler.name, scope)
                self.block(handler.body, scope)
            self.block(node.orelse, scope)
            self.block(node.finalbody, scope)
        elif isinstance(node, ast.Match):
            self.expr(node.subject, scope)
            for case in node.cases:
                for name in sorted(_stored_in([case.pattern])):
                    self.bind(name, scope)
                self.expr(case.pattern, scope)
                self.expr(case.guard, scope)
                self.block(case.body, scope)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                self.bind((alias.asname or alias.name).split(".")[0], scope)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    self.star = self.star or scope is None
                else:
                    self.bind(alias.asname or alias.name, scope)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.load(target.id, scope)
                else:
                    self.target(target, scope)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            pass
        else:                                                   # Expr, Return, Raise, Assert, Pass, …
            for child in ast.iter_child_nodes(node):
                self.expr(child, scope)


def usage(code):
    """The `Usage` of a cell: `code` is Python source (IPython syntax already translated) or an ast.Module."""
    tree = ast.parse(code) if isinstance(code, str) else code
    reader = _Reader()
    reader.block(tree.body, None)
    for name in reader.deferred:            # a function's body reads globals when it is called
        if name not in reader.binds and name not in reader.loads:
            reader.loads.append(name)
    return Usage(tuple(reader.loads), tuple(reader.binds), tuple(reader.mutates), reader.star)


# ---------------------------------------------------------------------------- the waiting

def waiting_message(missing):
    """The one line a waiting cell prints.  `missing`: [(name, label of the blank it waits for)] in order."""
    by_label = {}
    for name, label in missing:
        by_label.setdefault(label, []).append(name)
    if len(by_label) == 1:
        parts = [f"{', '.join(names)} from {_label_text(label)}" for label, names in by_label.items()]
    else:                               # several blanks: their banners say what each one is; keep it short
        ordered = sorted(by_label.items(), key=lambda item: _number(item[0]))
        parts = [f"{', '.join(names)} from {label.partition(' · ')[0]}" for label, names in ordered[:-1]]
        parts.append(f"{', '.join(ordered[-1][1])} from {ordered[-1][0].partition(' · ')[0]} above")
    cells = "that cell and run it" if len(by_label) == 1 else "those cells and run them"
    listed = parts[0] if len(parts) == 1 else f"{'; '.join(parts[:-1])} and {parts[-1]}"
    return f"{WAITING} {listed}. Type {cells}, then run the cells from there down to this one."


def _number(label):
    """The n of 'TYPE HERE n · …' (labels without one sort last, in their order)."""
    import re

    match = re.search(r"(\d+)", label.partition(" · ")[0])
    return int(match.group(1)) if match else float("inf")


def _label_text(label):
    """'TYPE HERE 1 · Module backward' -> 'TYPE HERE 1 above (Module backward)'."""
    head, _, title = label.partition(" · ")
    return f"{head} above ({title})" if title else f"{head} above"


class _Waiter(ast.NodeTransformer):
    """An IPython AST transformer: a cell that reads a waited-for name the kernel lacks becomes a print."""

    def __init__(self, shell, waited):
        super().__init__()
        self.shell, self.waited = shell, dict(waited)

    def visit(self, node):
        try:
            if not isinstance(node, ast.Module):
                return node
            namespace = self.shell.user_ns
            missing = [(name, self.waited[name]) for name in usage(node).loads
                       if name in self.waited and name not in namespace]
            if not missing:
                return node
            return ast.parse(f"print({waiting_message(missing)!r})")
        except Exception:                   # never break a cell: if in doubt, run it as written
            return node

    def __repr__(self):
        return f"<backproplib.live waiting for {len(self.waited)} names>"


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def stop_waiting(shell=None):
    """Remove the hook installed by `wait_for` (if any)."""
    shell = shell or _shell()
    if shell is not None:
        shell.ast_transformers[:] = [t for t in shell.ast_transformers if not isinstance(t, _Waiter)]


def wait_for(blanks, shell=None):
    """Make cells that need a name from a blank "type here" cell wait for it instead of raising.

    `blanks`: {label of a blank cell: [names later cells need from it]}; the label reads
    "TYPE HERE n · what to write".  Replaces any earlier call's list.  Returns nothing (so the cell
    shows nothing); outside IPython it does nothing."""
    shell = shell or _shell()
    if shell is None:
        return
    waited = {}
    for label, names in blanks.items():
        for name in ([names] if isinstance(names, str) else names):
            waited.setdefault(name, label)
    stop_waiting(shell)
    waiter = _Waiter(shell, waited)
    shell.ast_transformers.append(waiter)
