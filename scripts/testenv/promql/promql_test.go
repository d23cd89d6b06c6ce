// Checks Prometheus rule files and evaluates PromQL test scripts with
// Prometheus's own parser and engine, so the alerts and dashboard Brook ships
// are proved against the real query language rather than read by eye.
// Built by scripts/testenv/promql.ts as a test binary (`go test -c`) and run as:
//
//	BROOK_RULE_FILES=a.yaml:b.yaml promql.test -test.run TestRuleFiles
//	BROOK_PROMQL_SCRIPT=script.test promql.test -test.run TestScript
//
// The script language is Prometheus's promqltest ("load 1m", "eval instant at").
package promqlcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
)

func TestRuleFiles(t *testing.T) {
	files := os.Getenv("BROOK_RULE_FILES")
	if files == "" {
		t.Skip("BROOK_RULE_FILES is not set")
	}
	for _, file := range strings.Split(files, string(filepath.ListSeparator)) {
		// Unknown fields are errors, as in promtool check rules.
		_, errs := rulefmt.ParseFile(file, false, model.UTF8Validation, parser.NewParser(parser.Options{}), promslog.NewNopLogger())
		for _, err := range errs {
			t.Errorf("%v", err)
		}
	}
}

func TestScript(t *testing.T) {
	path := os.Getenv("BROOK_PROMQL_SCRIPT")
	if path == "" {
		t.Skip("BROOK_PROMQL_SCRIPT is not set")
	}
	script, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	engine := promqltest.NewTestEngine(t, false, 0, promqltest.DefaultMaxSamplesPerQuery)
	promqltest.RunTest(t, string(script), engine)
}
