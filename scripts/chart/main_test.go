package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestParseSeries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		csv     string
		wantN   int
		wantLen int
		wantErr string
	}{
		{"a run", "seconds,credentials,bound_credentials\n0.00,0,0\n0.25,10,50\n0.50,40,100\n0.75,100,100\n", 100, 4, ""},
		{"a run slower than its bound", "seconds,credentials,bound_credentials\n0,0,0\n1,5,20\n2,20,20\n", 20, 3, ""},
		{"no header", "0,0,0\n1,5,5\n", 0, 0, "header"},
		{"columns swapped", "seconds,bound_credentials,credentials\n0,0,0\n", 0, 0, "header"},
		{"empty file", "", 0, 0, "header"},
		{"header only", "seconds,credentials,bound_credentials\n", 0, 0, "no credentials"},
		{"not a number", "seconds,credentials,bound_credentials\n0,zero,0\n", 0, 0, "line 2"},
		{"a missing column", "seconds,credentials,bound_credentials\n0,0\n", 0, 0, "wrong number of fields"},
		{"negative count", "seconds,credentials,bound_credentials\n0,-1,0\n", 0, 0, "negative"},
		{"time going back", "seconds,credentials,bound_credentials\n0,0,0\n1,5,5\n0.5,6,6\n", 0, 0, "line 4: seconds must increase"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := parseSeries(strings.NewReader(tc.csv))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.n != tc.wantN || len(s.seconds) != tc.wantLen || len(s.credentials) != tc.wantLen || len(s.bound) != tc.wantLen {
				t.Errorf("n %d and %d/%d/%d rows, want %d and %d", s.n, len(s.seconds), len(s.credentials), len(s.bound), tc.wantN, tc.wantLen)
			}
		})
	}
}

func TestReached(t *testing.T) {
	s, err := parseSeries(strings.NewReader("seconds,credentials,bound_credentials\n0,0,0\n0.25,0,40\n0.5,30,100\n0.75,100,100\n1,100,100\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.reached(s.credentials); got != 0.75 {
		t.Errorf("the run reached N at %v, want 0.75", got)
	}
	if got := s.reached(s.bound); got != 0.5 {
		t.Errorf("the bound reached N at %v, want 0.5", got)
	}
	if got := s.firstPositive(); got != 0.25 {
		t.Errorf("first positive count at %v, want 0.25", got)
	}
}

func TestAxis(t *testing.T) {
	for _, tc := range []struct {
		name      string
		a         axis
		in, want  []float64 // values and their pixels
		wantTicks []float64
	}{
		{"linear", axis{lo: 0, hi: 8, px0: 100, px1: 900},
			[]float64{0, 2, 8, -1, 20}, []float64{100, 300, 900, 100, 900},
			[]float64{0, 2, 4, 6, 8}},
		{"linear, upside down (a y axis)", axis{lo: 0, hi: 1, px0: 500, px1: 100},
			[]float64{0, 0.5, 1}, []float64{500, 300, 100},
			[]float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{"log", axis{lo: 1, hi: 1000, log: true, px0: 0, px1: 300},
			[]float64{1, 10, 100, 1000, 0, 0.5, 5000}, []float64{0, 100, 200, 300, 0, 0, 300},
			[]float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}},
		{"log, ends not round", axis{lo: 0.2, hi: 568, log: true, px0: 0, px1: 100},
			[]float64{0.2, 568}, []float64{0, 100},
			[]float64{0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i, v := range tc.in {
				if got := tc.a.pos(v); math.Abs(got-tc.want[i]) > 1e-6 {
					t.Errorf("pos(%v) = %v, want %v", v, got, tc.want[i])
				}
			}
			if got := tc.a.ticks(); !slices.Equal(got, tc.wantTicks) {
				t.Errorf("ticks %v, want %v", got, tc.wantTicks)
			}
		})
	}
}

func TestXAxis(t *testing.T) {
	run := func(n int, end float64) series {
		s := series{n: n}
		for t := 0.0; t <= end; t += 0.25 {
			s.seconds = append(s.seconds, t)
			s.credentials = append(s.credentials, int(float64(n)*t/end))
			s.bound = append(s.bound, min(n, int(float64(n)*t/(end/2))))
		}
		return s
	}
	for _, tc := range []struct {
		name        string
		runs        []series
		scale       string
		wantLog     bool
		wantLo      float64
		wantHi      float64
		wantErrText string
	}{
		{"one run: linear to a round end", []series{run(1000, 7.75)}, "auto", false, 0, 8, ""},
		{"close lengths stay linear", []series{run(1000, 8), run(5000, 40)}, "auto", false, 0, 40, ""},
		{"lengths over tenfold go log", []series{run(1000, 8), run(100_000, 600)}, "auto", true, 0.2, 600, ""},
		{"log when asked", []series{run(1000, 8)}, "log", true, 0.2, 8, ""},
		{"linear when asked", []series{run(1000, 8), run(100_000, 600)}, "linear", false, 0, 600, ""},
		{"an unknown scale", []series{run(1000, 8)}, "cubic", false, 0, 0, "cubic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := xAxis(tc.runs, tc.scale, 0, 100)
			if tc.wantErrText != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrText) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.wantErrText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.log != tc.wantLog || a.lo != tc.wantLo || a.hi != tc.wantHi {
				t.Errorf("axis log=%v %v..%v, want log=%v %v..%v", a.log, a.lo, a.hi, tc.wantLog, tc.wantLo, tc.wantHi)
			}
		})
	}
}

// TestRender checks that the chart is well-formed XML with exactly one
// path per series (each run and each bound), the bounds dashed, and one
// legend line per run.
func TestRender(t *testing.T) {
	csvs := map[int]string{
		1000:    "seconds,credentials,bound_credentials\n0,0,0\n2.5,0,500\n5,450,1000\n8,1000,1000\n",
		10_000:  "seconds,credentials,bound_credentials\n0,0,0\n10,0,2000\n50,8000,10000\n63,10000,10000\n",
		100_000: "seconds,credentials,bound_credentials\n0,0,0\n100,1000,20000\n500,80000,100000\n568,100000,100000\n",
	}
	for _, tc := range []struct {
		name  string
		sizes []int
		scale string
	}{
		{"one run", []int{1000}, "auto"},
		{"three runs, log", []int{100_000, 1000, 10_000}, "auto"},
		{"three runs, linear", []int{1000, 10_000, 100_000}, "linear"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var all []series
			for _, n := range tc.sizes {
				s, err := parseSeries(strings.NewReader(csvs[n]))
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, s)
			}
			var buf bytes.Buffer
			if err := render(&buf, all, tc.scale); err != nil {
				t.Fatal(err)
			}
			paths, dashed, legend, root := 0, 0, 0, ""
			dec := xml.NewDecoder(&buf)
			for {
				tok, err := dec.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("not well-formed XML: %v", err)
				}
				el, ok := tok.(xml.StartElement)
				if !ok {
					continue
				}
				if root == "" {
					root = el.Name.Space + " " + el.Name.Local
				}
				attr := func(name string) string {
					for _, a := range el.Attr {
						if a.Name.Local == name {
							return a.Value
						}
					}
					return ""
				}
				switch el.Name.Local {
				case "path":
					paths++
					if !strings.HasPrefix(attr("d"), "M") || strings.Contains(attr("d"), "NaN") {
						t.Errorf("path d=%q", attr("d"))
					}
					if attr("stroke-dasharray") != "" {
						dashed++
					}
				case "text":
					var text string
					if err := dec.DecodeElement(&text, &el); err != nil {
						t.Fatal(err)
					}
					if strings.HasPrefix(text, "N = ") {
						legend++
					}
				}
			}
			if root != "http://www.w3.org/2000/svg svg" {
				t.Errorf("root element %q, want an svg", root)
			}
			if n := len(tc.sizes); paths != 2*n || dashed != n || legend != n {
				t.Errorf("%d paths (%d dashed) and %d legend entries for %d runs, want %d (%d) and %d", paths, dashed, legend, n, 2*n, n, n)
			}
		})
	}
}

func TestFormatting(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{thousands(1000), "1,000"},
		{thousands(100_000), "100,000"},
		{thousands(999), "999"},
		{thousands(1_234_567), "1,234,567"},
		{formatSeconds(7.9), "7.9 s"},
		{formatSeconds(568), "9 min 28 s"},
		{formatNumber(0.2), "0.2"},
		{formatNumber(500), "500"},
		{fmt.Sprint(niceCeil(1.33)), "2"},
		{fmt.Sprint(niceCeil(2.5)), "5"},
		{fmt.Sprint(niceCeil(100)), "100"},
		{fmt.Sprint(niceFloor(0.75)), "0.5"},
		{fmt.Sprint(niceFloor(4.2)), "2"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
