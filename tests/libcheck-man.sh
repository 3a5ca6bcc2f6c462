# SPDX-License-Identifier: LGPL-2.1-or-later
# libcheck-man.sh: sourced by the man page checks.  Renders pages as plain
# text and tells whether a section documents an option, a command or a key,
# as the head of an item of the section's list (not merely a mention).

fleet_mandoc=${MANDOC:-$(command -v mandoc || true)}
fleet_groff=${GROFF:-$(command -v groff || true)}
fleet_bs=$(printf '\b')

# man_renderer: the renderer that man_render will use, or nothing.
man_renderer () {
  if [ -n "$fleet_mandoc" ]; then
    echo mandoc
  elif [ -n "$fleet_groff" ]; then
    echo groff
  fi
}

# man_render PAGE: PAGE as plain text, without overstriking.
man_render () {
  if [ -n "$fleet_mandoc" ]; then
    "$fleet_mandoc" -Tascii "$1"
  elif [ -n "$fleet_groff" ]; then
    "$fleet_groff" -mandoc -Tascii -P-c -P-b -P-u "$1" 2>/dev/null
  else
    return 1
  fi | sed "s/.$fleet_bs//g"
}

# man_section TEXT SECTION: the lines of SECTION of the rendered page TEXT,
# each as "INDENT<tab>LINE" with INDENT its indentation less the section's
# own, so that the items of the section's list have INDENT 0.
man_section () {
  awk -v sec="$2" '
    /^[^ \t]/ { insec = ($0 == sec); next }
    insec && NF {
      match ($0, /^ */); ind[++n] = RLENGTH; line[n] = substr ($0, RLENGTH + 1)
      if (min == "" || RLENGTH < min) min = RLENGTH
    }
    END { for (i = 1; i <= n; i++) printf "%d\t%s\n", ind[i] - min, line[i] }
  ' "$1"
}

# man_heads TEXT SECTION: the lines at the section's own indentation: its
# list items' heads (and the first lines of its plain paragraphs).
man_heads () {
  man_section "$1" "$2" | sed -n 's/^0\t//p'
}

# man_has_option TEXT SECTION OPTION: OPTION (e.g. --bus, -h) heads an item
# of SECTION, alone or as one of "-h, --help".
man_has_option () {
  man_heads "$1" "$2" | grep -E -q -e "^(.*, )?$3([ ,=]|\$)"
}

# man_has_word TEXT SECTION WORD: an item of SECTION starts with WORD
# (a command: "status [--json]"; a key: "source=URL").
man_has_word () {
  man_heads "$1" "$2" | grep -E -q -e "^$3([ =]|\$)"
}

# man_item_body TEXT SECTION OPTION: the text of OPTION's item in SECTION,
# head and body, on one line.
man_item_body () {
  man_section "$1" "$2" | awk -F '\t' -v opt="$3" '
    $1 == 0 { initem = ($2 ~ ("^(.*, )?" opt "([ ,=]|$)")) }
    initem { sub (/^[0-9]+\t/, ""); printf "%s ", $0 }
  '
}
