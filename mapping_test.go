package autocred

// template is the parsed template of the input named field, for tests.
func (m Mapping) template(field string) Template {
	for _, in := range m.inputs {
		if in.Field == field {
			return in.Template
		}
	}
	return Template{}
}
