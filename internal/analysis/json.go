package analysis

import (
	"encoding/json"
	"errors"
	"math"
)

// The JSON forms are what the rollout record and the --json events keep:
// NaN (not measured, no baseline, no test) is null, and a provider error is
// its message (decoded back as a plain error: the record explains, it does
// not decide).

type verdictJSON struct {
	Metric       string        `json:"metric"`
	Outcome      Outcome       `json:"verdict"`
	Reason       string        `json:"reason"`
	Canary       *float64      `json:"canary"`
	Baseline     *float64      `json:"baseline"`
	Bound        *float64      `json:"bound"`
	P            *float64      `json:"p"`
	Measurements []Measurement `json:"measurements,omitempty"`
}

func orNull(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

func fromNull(f *float64) float64 {
	if f == nil {
		return nan
	}
	return *f
}

// MarshalJSON writes v with null for its NaN numbers.
func (v Verdict) MarshalJSON() ([]byte, error) {
	return json.Marshal(verdictJSON{v.Metric, v.Outcome, v.Reason, orNull(v.Canary), orNull(v.Baseline), orNull(v.Bound), orNull(v.P), v.Measurements})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (v *Verdict) UnmarshalJSON(b []byte) error {
	var j verdictJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*v = Verdict{j.Metric, j.Outcome, j.Reason, fromNull(j.Canary), fromNull(j.Baseline), fromNull(j.Bound), fromNull(j.P), j.Measurements}
	return nil
}

type measurementJSON Measurement

type measurementWire struct {
	measurementJSON
	Error string `json:"error,omitempty"`
}

// MarshalJSON writes m with its provider error as a message; a value or
// counts that are not finite (which Judge fails) are left out rather than
// failing the whole record.
func (m Measurement) MarshalJSON() ([]byte, error) {
	if m.Value != nil {
		m.Value = orNull(*m.Value)
	}
	if m.Counts != nil && (orNull(m.Counts.Events) == nil || orNull(m.Counts.Exposure) == nil) {
		m.Counts = nil
	}
	w := measurementWire{measurementJSON: measurementJSON(m)}
	if m.Err != nil {
		w.Error = m.Err.Error()
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (m *Measurement) UnmarshalJSON(b []byte) error {
	var w measurementWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = Measurement(w.measurementJSON)
	if w.Error != "" {
		m.Err = errors.New(w.Error)
	}
	return nil
}
