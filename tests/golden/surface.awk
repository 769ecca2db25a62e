# Reduces a Prometheus text (0.0.4) scrape to its metric surface: for each
# family its HELP and TYPE lines, then one line per distinct set of label
# names that its samples carry ("name{a,b,c}"). Values, label
# values and timestamps are left out, so the result depends only on which
# families, types, help texts and label sets the code emits.

# Label names of a sample's {...} part; label values may hold any escaped
# byte, commas and braces included.
function label_names(s,    i, n, ch, out, name, inq) {
	out = ""; name = ""; inq = 0
	n = length(s)
	for (i = 1; i <= n; i++) {
		ch = substr(s, i, 1)
		if (inq) {
			if (ch == "\\") i++
			else if (ch == "\"") inq = 0
			continue
		}
		if (ch == "\"") { inq = 1; continue }
		if (ch == "=") { out = out (out == "" ? "" : ",") name; name = ""; continue }
		if (ch == ",") continue
		name = name ch
	}
	return out
}

/^# HELP / { help[$3] = $0; next }
/^# TYPE / { type[$3] = $0; next }
/^#/ { next }
NF {
	brace = index($0, "{")
	sp = index($0, " ")
	if (brace && brace < sp) {
		name = substr($0, 1, brace - 1)
		rest = substr($0, brace + 1)
		# The label part ends at the last "} " of the line.
		end = 0
		for (j = length(rest); j > 0; j--)
			if (substr(rest, j, 2) == "} ") { end = j; break }
		set = label_names(substr(rest, 1, end - 1))
	} else {
		name = substr($0, 1, sp - 1)
		set = ""
	}
	fam = name
	if (!(fam in type)) {
		if (sub(/_(bucket|sum|count)$/, "", fam) && !(fam in type)) fam = name
	}
	sets[fam "{" set "}"] = 1
}
# Each line goes out behind a sort key (family, then HELP, TYPE, sets);
# the caller sorts and cuts the key off: sort -t'\t' -k1,2 | cut -f3-.
END {
	for (f in type) {
		print f "\t0\t" help[f]
		print f "\t1\t" type[f]
	}
	for (s in sets) {
		f = substr(s, 1, index(s, "{") - 1)
		print f "\t2 " s "\t  " s
	}
}
