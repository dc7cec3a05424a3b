package hooks

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The secret in /hooks/activecampaign/{connection}/{token} must be compared
// in constant time, or the time a 404 takes tells an attacker how many of
// its first bytes were right, and the token can be found byte by byte.
//
// This is a check of the source, not of the timing. A timing test would
// have to tell apart comparisons that differ by nanoseconds, under the
// scheduler's and the network's noise on a shared 2-core CI machine: it
// would flake, or pass whatever the code does. What makes the comparison
// constant-time is which function makes it, and that is in the source. So
// this test reads, with go/parser and go/ast:
//
//   - the receiver (this package's non-test files): the token taken from
//     the path goes to Engine.CheckWebhookToken, and is never compared
//     here with ==, !=, <, >, a switch, or a variable-time function
//     (strings.EqualFold, bytes.Equal, …);
//   - every CheckWebhookToken method in the module, since the receiver
//     only passes the token on and the comparison is made there (today in
//     engine/webhooks.go, the one that serves): it calls
//     crypto/subtle.ConstantTimeCompare or crypto/hmac.Equal on the token,
//     and compares neither the token nor the expected one (a call to
//     WebhookToken or Token) in any other way.
//
// A value is followed through assignments (t := token; t == want is
// caught); the result of a constant-time call is not secret (its == 1 is
// fine). A map lookup keyed by the token is not caught: there is none, and
// a review would see one. TestSecretComparisonCheckFails shows that the
// check fails on the comparisons it forbids.
func TestWebhookTokenComparedInConstantTime(t *testing.T) {
	fset := token.NewFileSet()

	// The receiver.
	files := parseDir(t, fset, ".")
	var receiver []string
	checked := 0
	for _, f := range files {
		for _, fn := range funcs(f) {
			c := newSecretCheck(fset, f, nil)
			receiver = append(receiver, c.violations(fn)...)
			checked += c.calls(fn, "CheckWebhookToken")
		}
	}
	for _, v := range receiver {
		t.Errorf("receiver: %s", v)
	}
	if checked == 0 {
		t.Error("the receiver never passes the path's token to CheckWebhookToken")
	}

	// Every implementation of the check, wherever it is in the module.
	impls := 0
	root := ".." // the module
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil || !bytes.Contains(data, []byte("CheckWebhookToken")) {
			return err
		}
		f, err := parser.ParseFile(fset, path, data, 0)
		if err != nil {
			return err
		}
		for _, fn := range funcs(f) {
			if fn.Recv == nil || fn.Name.Name != "CheckWebhookToken" || fn.Body == nil {
				continue
			}
			impls++
			t.Logf("checking %s (%s)", fn.Name.Name, fset.Position(fn.Pos()))
			c := newSecretCheck(fset, f, fn)
			for _, v := range c.violations(fn) {
				t.Errorf("%s: %s", fn.Name.Name, v)
			}
			if c.constantTimeCalls == 0 {
				t.Errorf("%s (%s) does not compare the token with crypto/subtle.ConstantTimeCompare or crypto/hmac.Equal",
					fn.Name.Name, fset.Position(fn.Pos()))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if impls == 0 {
		t.Fatal("no CheckWebhookToken method found in the module: the check above proves nothing")
	}
}

// TestSecretComparisonCheckFails feeds the check above small sources: it
// must flag each way of comparing the token in variable time, and accept
// the constant-time ones.
func TestSecretComparisonCheckFails(t *testing.T) {
	tests := []struct {
		name, body string
		bad        bool
	}{
		{"subtle", `return subtle.ConstantTimeCompare([]byte(token), []byte(e.WebhookToken(id))) == 1`, false},
		{"hmac", `return hmac.Equal([]byte(e.WebhookToken(id)), []byte(token))`, false},
		{"through variables", `want := []byte(e.WebhookToken(id)); return len(token) == len(want) && subtle.ConstantTimeCompare([]byte(token), want) == 1`, false},
		{"==", `return token == e.WebhookToken(id)`, true},
		{"!=", `if e.WebhookToken(id) != token { return false }; return true`, true},
		{"through a variable", `want := e.WebhookToken(id); got := token; return got == want`, true},
		{"EqualFold", `return strings.EqualFold(token, e.WebhookToken(id))`, true},
		{"bytes.Equal", `return bytes.Equal([]byte(token), []byte(e.WebhookToken(id)))`, true},
		{"Compare", `return strings.Compare(e.WebhookToken(id), token) == 0`, true},
		{"switch", `switch token { case e.WebhookToken(id): return true }; return false`, true},
		{"no comparison at all", `return true`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "package engine\n" +
				"import (\"bytes\"; \"crypto/hmac\"; \"crypto/subtle\"; \"strings\")\n" +
				"var _, _, _, _ = bytes.Equal, hmac.Equal, subtle.ConstantTimeCompare, strings.EqualFold\n" +
				"func (e *Engine) CheckWebhookToken(id int64, token string) bool {\n" + tt.body + "\n}\n"
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "engine.go", src, 0)
			if err != nil {
				t.Fatal(err)
			}
			fn := funcs(f)[0]
			c := newSecretCheck(fset, f, fn)
			v := c.violations(fn)
			if got := len(v) > 0 || c.constantTimeCalls == 0; got != tt.bad {
				t.Errorf("flagged = %v, want %v: %v", got, tt.bad, v)
			}
		})
	}
	// And in the receiver: the path's token compared on the spot.
	src := `package hooks
import "net/http"
func h(r *http.Request) bool { tok := r.PathValue("token"); return tok == "x" }`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "hooks.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v := newSecretCheck(fset, f, nil).violations(funcs(f)[0]); len(v) == 0 {
		t.Error("a receiver comparing the path's token with == is not flagged")
	}
}

func parseDir(t *testing.T, fset *token.FileSet, dir string) []*ast.File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	return files
}

// funcs returns a file's functions; the checks look inside the function
// literals in them too (the receiver's handler is one).
func funcs(f *ast.File) []*ast.FuncDecl {
	var out []*ast.FuncDecl
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok {
			out = append(out, fn)
		}
	}
	return out
}

// Functions that compare in constant time, and those that compare in
// variable time, by import path and name.
var (
	constantTime = map[string]bool{"crypto/subtle.ConstantTimeCompare": true, "crypto/hmac.Equal": true}
	variableTime = map[string]bool{
		"strings.EqualFold": true, "strings.Compare": true, "strings.HasPrefix": true, "strings.HasSuffix": true,
		"strings.Contains": true, "strings.Index": true, "strings.CutPrefix": true, "strings.TrimPrefix": true,
		"bytes.Equal": true, "bytes.EqualFold": true, "bytes.Compare": true, "bytes.HasPrefix": true,
		"bytes.HasSuffix": true, "bytes.Contains": true, "bytes.Index": true,
		"reflect.DeepEqual": true, "slices.Equal": true, "slices.Compare": true, "cmp.Compare": true,
	}
)

// secretCheck finds where a function compares a secret in variable time.
// The secrets are the path's token (a PathValue("token") call), the
// expected token (a call to WebhookToken or Token), and, in a
// CheckWebhookToken method, its string parameters; and the variables
// assigned from any of these.
type secretCheck struct {
	fset              *token.FileSet
	imports           map[string]string // local name → import path
	tainted           map[string]bool   // variables holding a secret
	constantTimeCalls int               // constant-time calls given a secret
}

func newSecretCheck(fset *token.FileSet, f *ast.File, impl *ast.FuncDecl) *secretCheck {
	c := &secretCheck{fset: fset, imports: map[string]string{}, tainted: map[string]bool{}}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		c.imports[name] = path
	}
	if impl != nil {
		for _, field := range impl.Type.Params.List {
			if typ := typeName(field.Type); typ == "string" || typ == "[]byte" {
				for _, n := range field.Names {
					c.tainted[n.Name] = true
				}
			}
		}
	}
	return c
}

func typeName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.ArrayType:
		return "[]" + typeName(e.Elt)
	}
	return ""
}

// callee names a call's function: "crypto/subtle.ConstantTimeCompare" for
// a package function, ".Name" for a method or local function.
func (c *secretCheck) callee(call *ast.CallExpr) string {
	switch fun := call.Fun.(type) {
	case *ast.SelectorExpr:
		if x, ok := fun.X.(*ast.Ident); ok {
			if path, ok := c.imports[x.Name]; ok {
				return path + "." + fun.Sel.Name
			}
		}
		return "." + fun.Sel.Name
	case *ast.Ident:
		return "." + fun.Name
	}
	return ""
}

// source tells whether a call yields a secret.
func (c *secretCheck) source(call *ast.CallExpr) bool {
	switch c.callee(call) {
	case ".WebhookToken", ".Token":
		return true
	case ".PathValue":
		if len(call.Args) == 1 {
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Value == `"token"` {
				return true
			}
		}
	}
	return false
}

// secret tells whether an expression holds a secret. The result of a
// constant-time comparison does not, nor does a length (the token's is
// public, and ConstantTimeCompare itself returns early on it).
func (c *secretCheck) secret(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.CallExpr:
			if name := c.callee(n); constantTime[name] || name == ".len" {
				return false
			}
			if c.source(n) {
				found = true
			}
		case *ast.Ident:
			if c.tainted[n.Name] {
				found = true
			}
		case *ast.FuncLit:
			return false // its body is checked on its own
		}
		return !found
	})
	return found
}

// calls counts the calls to a method or function given a secret.
func (c *secretCheck) calls(fn *ast.FuncDecl, name string) int {
	c.propagate(fn)
	n := 0
	ast.Inspect(fn, func(node ast.Node) bool {
		if call, ok := node.(*ast.CallExpr); ok && c.callee(call) == "."+name {
			for _, a := range call.Args {
				if c.secret(a) {
					n++
					break
				}
			}
		}
		return true
	})
	return n
}

// propagate marks the variables assigned from a secret, until nothing
// changes.
func (c *secretCheck) propagate(fn ast.Node) {
	for changed := true; changed; {
		changed = false
		mark := func(lhs []ast.Expr, rhs []ast.Expr) {
			for i, l := range lhs {
				id, ok := l.(*ast.Ident)
				if !ok || c.tainted[id.Name] || id.Name == "_" {
					continue
				}
				var r []ast.Expr
				if len(rhs) == len(lhs) {
					r = rhs[i : i+1]
				} else {
					r = rhs // x, ok := f(secret)
				}
				for _, e := range r {
					if c.secret(e) {
						c.tainted[id.Name], changed = true, true
					}
				}
			}
		}
		ast.Inspect(fn, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				mark(n.Lhs, n.Rhs)
			case *ast.ValueSpec:
				lhs := make([]ast.Expr, len(n.Names))
				for i, id := range n.Names {
					lhs[i] = id
				}
				mark(lhs, n.Values)
			case *ast.RangeStmt:
				if c.secret(n.X) {
					mark([]ast.Expr{n.Key, n.Value}, []ast.Expr{n.X})
				}
			}
			return true
		})
	}
}

// violations lists the variable-time comparisons of a secret in fn.
func (c *secretCheck) violations(fn *ast.FuncDecl) []string {
	c.propagate(fn)
	var out []string
	flag := func(n ast.Node, what string) {
		out = append(out, fmt.Sprintf("%s: the webhook token is compared with %s, in variable time", c.fset.Position(n.Pos()), what))
	}
	ast.Inspect(fn, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			switch n.Op {
			case token.EQL, token.NEQ, token.LSS, token.GTR, token.LEQ, token.GEQ:
				if c.secret(n.X) || c.secret(n.Y) {
					flag(n, n.Op.String())
				}
			}
		case *ast.SwitchStmt:
			if n.Tag != nil && c.secret(n.Tag) {
				flag(n, "a switch")
			}
		case *ast.CallExpr:
			name := c.callee(n)
			if constantTime[name] {
				for _, a := range n.Args {
					if c.secret(a) {
						c.constantTimeCalls++
						break
					}
				}
				return true
			}
			if variableTime[name] {
				for _, a := range n.Args {
					if c.secret(a) {
						flag(n, name)
						break
					}
				}
			}
		}
		return true
	})
	return out
}
