package account

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// ErrNoTerminal is returned by [ReadNewPassphrase] when there is neither a
// password file nor a terminal to prompt on.
var ErrNoTerminal = errors.New("cannot prompt for a passphrase: stdin is not a terminal")

// ReadPassphrase returns the passphrase of an existing key: the first line of
// passwordFile (without its line ending) if passwordFile is set; else, if
// prompt is set and in is a terminal, a line typed without echo after a
// prompt written to out; else "" (a key without a passphrase).
//
// Security: the passphrase is never echoed, and the password file should be
// readable by its owner only.
func ReadPassphrase(passwordFile string, prompt bool, in *os.File, out io.Writer) (string, error) {
	if passwordFile != "" {
		return readPasswordFile(passwordFile)
	}
	if !prompt || !isTerminal(in) {
		return "", nil
	}
	return readHidden(in, out, "Passphrase: ")
}

// ReadNewPassphrase returns the passphrase for a new key: the first line of
// passwordFile if set, else one typed twice on the terminal in (prompts go
// to out). It fails with ErrNoTerminal if in is not a terminal, and if the
// passphrase is empty or the two entries differ: a key without a passphrase
// must be asked for explicitly (Store.New with "").
func ReadNewPassphrase(passwordFile string, in *os.File, out io.Writer) (string, error) {
	if passwordFile != "" {
		p, err := readPasswordFile(passwordFile)
		if err == nil && p == "" {
			err = fmt.Errorf("password file %s: the first line is empty", passwordFile)
		}
		return p, err
	}
	if !isTerminal(in) {
		return "", ErrNoTerminal
	}
	p, err := readHidden(in, out, "New passphrase: ")
	if err != nil {
		return "", err
	}
	if p == "" {
		return "", errors.New("empty passphrase")
	}
	again, err := readHidden(in, out, "Repeat passphrase: ")
	if err != nil {
		return "", err
	}
	if again != p {
		return "", errors.New("the passphrases do not match")
	}
	return p, nil
}

func readPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return string(bytes.TrimSuffix(line, []byte("\r"))), nil
}

func isTerminal(f *os.File) bool { return f != nil && term.IsTerminal(int(f.Fd())) }

func readHidden(in *os.File, out io.Writer, prompt string) (string, error) {
	fmt.Fprint(out, prompt)
	b, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(out)
	if err != nil {
		return "", fmt.Errorf("read passphrase: %w", err)
	}
	return string(b), nil
}
