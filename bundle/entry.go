package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// packageJSON holds the package.json fields Build reads.
type packageJSON struct {
	Module          string            `json:"module"`
	Main            string            `json:"main"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
}

// readPackageJSON reads dir/package.json; a missing file gives a zero value
// and ok false.
func readPackageJSON(dir string) (pkg packageJSON, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if errors.Is(err, os.ErrNotExist) {
		return packageJSON{}, false, nil
	}
	if err != nil {
		return packageJSON{}, false, err
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return packageJSON{}, false, fmt.Errorf("read %s: %w", filepath.Join(dir, "package.json"), err)
	}
	return pkg, true, nil
}

// folderEntry picks the entry file of the agent folder dir. A package.json
// field that names a missing file (often an unbuilt dist/ file) is skipped
// with a warning, so a TypeScript source next to it still builds.
func folderEntry(dir string) (entry, error) {
	pkg, hasPkg, err := readPackageJSON(dir)
	if err != nil {
		return entry{}, err
	}
	type candidate struct{ file, why string }
	var cands []candidate
	if pkg.Module != "" {
		cands = append(cands, candidate{pkg.Module, `package.json "module"`})
	}
	if pkg.Main != "" {
		cands = append(cands, candidate{pkg.Main, `package.json "main"`})
	}
	for _, f := range []string{"index.ts", "index.tsx", "index.js", "src/index.ts", "src/index.tsx", "src/index.js"} {
		cands = append(cands, candidate{f, ""})
	}

	var tried, warnings []string
	for _, c := range cands {
		file := filepath.Join(dir, filepath.FromSlash(c.file))
		if !fileExists(file) {
			if c.why != "" {
				tried = append(tried, fmt.Sprintf("%s (%s)", c.file, c.why))
				warnings = append(warnings, fmt.Sprintf("%s names %s, which does not exist", c.why, c.file))
			} else {
				tried = append(tried, c.file)
			}
			continue
		}
		if !sourceExts[filepath.Ext(file)] {
			return entry{}, fmt.Errorf("entry %s: unsupported file type %q: an agent entry is a %s file", file, filepath.Ext(file), extList)
		}
		if len(warnings) > 0 {
			warnings = append(warnings, fmt.Sprintf("using %s as the entry", c.file))
		}
		return entry{file: file, dir: dir, warnings: warnings}, nil
	}
	pkgNote := ""
	if !hasPkg {
		pkgNote = " (it has no package.json)"
	}
	return entry{}, fmt.Errorf("no entry file in folder %s%s: tried %s; set \"main\" in package.json or add index.ts",
		dir, pkgNote, strings.Join(tried, ", "))
}
