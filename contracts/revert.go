package contracts

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// AnchorRevert returns the name of the CoveAnchor custom error that err
// carries (the revert data JSON-RPC nodes return from eth_call and
// eth_estimateGas) and a description with its arguments ("FeeTooLow(1,
// 1000)"); name is "" when err carries no revert data, and "unknown error
// 0x…" for data that is none of the anchor's errors.
func AnchorRevert(err error) (name, desc string) {
	a, aerr := CoveAnchorMetaData.GetAbi()
	if aerr != nil {
		return "", ""
	}
	return Revert(a, err)
}

// Revert is AnchorRevert for the custom errors of contract ABI a.
func Revert(a *abi.ABI, err error) (name, desc string) {
	var de interface{ ErrorData() interface{} }
	if !errors.As(err, &de) {
		return "", ""
	}
	s, _ := de.ErrorData().(string)
	data := common.FromHex(s)
	if len(data) < 4 {
		return "", ""
	}
	for n, ae := range a.Errors {
		if !bytes.Equal(ae.ID[:4], data[:4]) {
			continue
		}
		args, uerr := ae.Inputs.Unpack(data[4:])
		if uerr != nil {
			return n, n + "(?)"
		}
		parts := make([]string, len(args))
		for i, v := range args {
			parts[i] = fmt.Sprint(v)
			if b, ok := v.([32]byte); ok {
				parts[i] = common.Hash(b).Hex()
			}
		}
		return n, n + "(" + strings.Join(parts, ", ") + ")"
	}
	name = fmt.Sprintf("unknown error 0x%x", data[:4])
	return name, name
}
