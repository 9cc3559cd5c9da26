package tdx

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
)

// TCBStatus is a platform's TCB status as Intel's quote verification
// library reports it for TDX.
type TCBStatus string

// TCB statuses. Only UpToDate means no known issue; the others name what
// the platform owner should do, and their advisories say why.
// TDRelaunchAdvised (TD report 1.5 only): the TD launched under an
// out-of-date TDX module, the platform now runs an up-to-date one, and
// relaunching the TD would make it UpToDate. Revoked is never in a Result:
// Verify fails with ErrRevoked.
const (
	StatusUpToDate                             TCBStatus = "UpToDate"
	StatusSWHardeningNeeded                    TCBStatus = "SWHardeningNeeded"
	StatusConfigurationNeeded                  TCBStatus = "ConfigurationNeeded"
	StatusConfigurationAndSWHardeningNeeded    TCBStatus = "ConfigurationAndSWHardeningNeeded"
	StatusOutOfDate                            TCBStatus = "OutOfDate"
	StatusOutOfDateConfigurationNeeded         TCBStatus = "OutOfDateConfigurationNeeded"
	StatusTDRelaunchAdvised                    TCBStatus = "TDRelaunchAdvised"
	StatusTDRelaunchAdvisedConfigurationNeeded TCBStatus = "TDRelaunchAdvisedConfigurationNeeded"
	StatusRevoked                              TCBStatus = "Revoked"
)

var levelStatuses = []TCBStatus{
	StatusUpToDate, StatusSWHardeningNeeded, StatusConfigurationNeeded,
	StatusConfigurationAndSWHardeningNeeded, StatusOutOfDate,
	StatusOutOfDateConfigurationNeeded, StatusRevoked,
}

// identityStatuses are the statuses of QE identity and TDX module levels.
var identityStatuses = []TCBStatus{StatusUpToDate, StatusOutOfDate, StatusRevoked}

func levelStatus(doc string, l *tcbLevel, valid []TCBStatus) (TCBStatus, error) {
	s := TCBStatus(l.TCBStatus)
	if !slices.Contains(valid, s) {
		return "", fmt.Errorf("%w: %s has a TCB level with unknown status %q", ErrCollateral, doc, l.TCBStatus)
	}
	return s, nil
}

// qeResult is the QE identity's verdict on the quoting enclave.
type qeResult struct {
	status     TCBStatus
	advisories []string
}

// matchQEIdentity checks the QE report against Intel's TD_QE identity
// (MISCSELECT and ATTRIBUTES under their masks, MRSIGNER, ISVPRODID) and
// finds the status of its ISVSVN: the first level, highest first, that the
// ISVSVN reaches.
func matchQEIdentity(r *EnclaveReport, id *enclaveIdentity) (qeResult, error) {
	// MISCSELECT is a little-endian u32 in the report; the identity writes
	// its value and mask as big-endian hex numbers.
	misc, mask := binary.BigEndian.Uint32(id.MiscSelect), binary.BigEndian.Uint32(id.MiscSelectMask)
	if r.MiscSelect&mask != misc {
		return qeResult{}, fmt.Errorf("%w: QE MISCSELECT %08X under mask %08X is not %08X", ErrQEIdentity, r.MiscSelect, mask, misc)
	}
	attrs := make([]byte, 16)
	for i := range attrs {
		attrs[i] = r.Attributes[i] & id.AttributesMask[i]
	}
	if !bytes.Equal(attrs, id.Attributes) {
		return qeResult{}, fmt.Errorf("%w: QE ATTRIBUTES %s under mask %s are not %s", ErrQEIdentity, hexUpper(r.Attributes[:]), hexUpper(id.AttributesMask), hexUpper(id.Attributes))
	}
	if !bytes.Equal(r.MRSIGNER[:], id.MRSIGNER) {
		return qeResult{}, fmt.Errorf("%w: QE MRSIGNER %s is not Intel's %s", ErrQEIdentity, hexUpper(r.MRSIGNER[:]), hexUpper(id.MRSIGNER))
	}
	if int(r.ISVProdID) != id.ISVProdID {
		return qeResult{}, fmt.Errorf("%w: QE ISVPRODID %d is not %d", ErrQEIdentity, r.ISVProdID, id.ISVProdID)
	}
	for i := range id.TCBLevels {
		l := &id.TCBLevels[i]
		if int(r.ISVSVN) >= l.TCB.ISVSVN {
			s, err := levelStatus("qe_identity", l, identityStatuses)
			if err != nil {
				return qeResult{}, err
			}
			return qeResult{status: s, advisories: l.AdvisoryIDs}, nil
		}
	}
	return qeResult{}, fmt.Errorf("%w: QE ISVSVN %d is below every level of the QE identity", ErrQEIdentity, r.ISVSVN)
}

// tcbResult is the outcome of the TCB level check.
type tcbResult struct {
	status     TCBStatus
	advisories []string
}

// tcbStatus is Intel's TCB level check for TDX (DCAP quote verification
// library, checkTcbLevel and the checks it calls):
//
//  1. The SGX level is the first TCB level, highest first, that the PCK
//     certificate's CPUSVN components and PCESVN reach; the TDX level is
//     the first of those that TEE_TCB_SVN also reaches (from index 2 when
//     TEE_TCB_SVN[1], the TDX module's major version, is not 0: the
//     module's own SVN is then judged by its module identity).
//  2. For a module of major version > 0, the TDX module identity
//     "TDX_<version>" must match MRSIGNERSEAM and SEAMATTRIBUTES, and
//     TEE_TCB_SVN[0] picks its status; an OutOfDate or Revoked module
//     status lowers the TDX level's status.
//  3. For a TD report 1.5, TEE_TCB_SVN2 (the TDX module and microcode the
//     platform runs now, after a TD-preserving update) may turn an
//     OutOfDate status into TDRelaunchAdvised: relaunching the TD would
//     bring it up to date.
//  4. The QE identity's status lowers the result (OutOfDate QE: OutOfDate;
//     Revoked QE: Revoked).
//
// The advisories are those of the TDX level, the TDX module level and the
// QE identity level, in that order, without duplicates.
func tcbStatus(q *Quote, info *tcbInfo, cpuSVN []byte, pceSVN uint16, qe qeResult) (tcbResult, error) {
	svn := q.Body.TEETCBSVN
	if len(cpuSVN) != 16 {
		return tcbResult{}, fmt.Errorf("%w: PCK certificate has %d CPUSVN components, want 16", ErrCertChain, len(cpuSVN))
	}
	var sgx, tdx *tcbLevel
	for i := range info.TCBLevels {
		l := &info.TCBLevels[i]
		if !sgxReaches(cpuSVN, pceSVN, l) {
			continue
		}
		if sgx == nil {
			sgx = l
		}
		if tdxReaches(svn, l) {
			tdx = l
			break
		}
	}
	if sgx == nil {
		return tcbResult{}, fmt.Errorf("%w: the platform's SGX TCB (CPUSVN components %v, PCESVN %d) is below every level of the TCB info for FMSPC %s (TCB evaluation data number %d)", ErrTCBNotSupported, cpuSVN, pceSVN, strings.ToUpper(info.FMSPC), info.TCBEvaluationDataNumber)
	}
	if tdx == nil {
		return tcbResult{}, fmt.Errorf("%w: TEE_TCB_SVN %x is below every level of the TCB info for FMSPC %s (TCB evaluation data number %d)", ErrTCBNotSupported, svn, strings.ToUpper(info.FMSPC), info.TCBEvaluationDataNumber)
	}
	sgxStatus, err := levelStatus("tcb_info", sgx, levelStatuses)
	if err != nil {
		return tcbResult{}, err
	}
	tdxStatus, err := levelStatus("tcb_info", tdx, levelStatuses)
	if err != nil {
		return tcbResult{}, err
	}

	module, err := checkTDXModule(q, info, svn)
	if err != nil {
		return tcbResult{}, err
	}
	status := convergeModule(tdxStatus, module.status)
	advisories := appendNew(nil, tdx.AdvisoryIDs...)
	advisories = appendNew(advisories, module.advisories...)
	if status != StatusRevoked && q.BodyType == BodyTDReport15 {
		status, err = checkRelaunch(q.Body.TEETCBSVN2, info, sgxStatus, status, module.status, qe.status)
		if err != nil {
			return tcbResult{}, err
		}
	}
	status = convergeQE(status, qe.status)
	advisories = appendNew(advisories, qe.advisories...)
	return tcbResult{status: status, advisories: advisories}, nil
}

func sgxReaches(cpuSVN []byte, pceSVN uint16, l *tcbLevel) bool {
	for i, c := range l.TCB.SGXComponents {
		if int(cpuSVN[i]) < c.SVN {
			return false
		}
	}
	return int(pceSVN) >= l.TCB.PCESVN
}

func tdxReaches(svn [16]byte, l *tcbLevel) bool {
	start := 0
	if svn[1] > 0 {
		start = 2
	}
	for i := start; i < 16; i++ {
		if int(svn[i]) < l.TCB.TDXComponents[i].SVN {
			return false
		}
	}
	return true
}

// moduleResult is the TDX module identity's verdict.
type moduleResult struct {
	status     TCBStatus
	advisories []string
}

// checkTDXModule matches the TDX module that signed the TD report
// (MRSIGNERSEAM, SEAMATTRIBUTES) and finds its status. A major version 0
// module is judged by the TCB levels alone and the TCB info's tdxModule
// entry; later modules by their "TDX_<version>" identity.
func checkTDXModule(q *Quote, info *tcbInfo, svn [16]byte) (moduleResult, error) {
	expect := &info.TDXModule
	var ident *tdxModuleIdentity
	if svn[1] > 0 {
		ident = findModule(info, svn[1])
		if ident == nil {
			return moduleResult{}, fmt.Errorf("%w: TDX module version %d has no identity TDX_%02X in the TCB info", ErrCollateral, svn[1], svn[1])
		}
		expect = &ident.tdxModule
	}
	if !bytes.Equal(q.Body.MRSIGNERSEAM[:], expect.MRSIGNER) {
		return moduleResult{}, fmt.Errorf("%w: TDX module MRSIGNERSEAM %s is not the TCB info's %s", ErrCollateral, hexUpper(q.Body.MRSIGNERSEAM[:]), hexUpper(expect.MRSIGNER))
	}
	for i, a := range q.Body.SEAMAttributes {
		if a&expect.AttributesMask[i] != expect.Attributes[i] {
			return moduleResult{}, fmt.Errorf("%w: TDX module SEAMATTRIBUTES %s do not match the TCB info's %s (mask %s)", ErrCollateral, hexUpper(q.Body.SEAMAttributes[:]), hexUpper(expect.Attributes), hexUpper(expect.AttributesMask))
		}
	}
	if ident == nil {
		return moduleResult{status: StatusUpToDate}, nil
	}
	for i := range ident.TCBLevels {
		l := &ident.TCBLevels[i]
		if int(svn[0]) >= l.TCB.ISVSVN {
			s, err := levelStatus("tcb_info "+ident.ID, l, identityStatuses)
			if err != nil {
				return moduleResult{}, err
			}
			return moduleResult{status: s, advisories: l.AdvisoryIDs}, nil
		}
	}
	return moduleResult{}, fmt.Errorf("%w: TDX module SVN %d is below every level of %s", ErrTCBNotSupported, svn[0], ident.ID)
}

func findModule(info *tcbInfo, version byte) *tdxModuleIdentity {
	id := fmt.Sprintf("TDX_%02X", version)
	for i := range info.TDXModuleIdentities {
		if bytes.EqualFold([]byte(info.TDXModuleIdentities[i].ID), []byte(id)) {
			return &info.TDXModuleIdentities[i]
		}
	}
	return nil
}

// convergeModule lowers the TDX level's status by the module's.
func convergeModule(s, module TCBStatus) TCBStatus {
	switch module {
	case StatusOutOfDate:
		switch s {
		case StatusUpToDate, StatusSWHardeningNeeded:
			return StatusOutOfDate
		case StatusConfigurationNeeded, StatusConfigurationAndSWHardeningNeeded:
			return StatusOutOfDateConfigurationNeeded
		}
	case StatusRevoked:
		return StatusRevoked
	}
	return s
}

// convergeQE lowers the status by the quoting enclave's.
func convergeQE(s, qe TCBStatus) TCBStatus {
	switch qe {
	case StatusOutOfDate:
		switch s {
		case StatusUpToDate, StatusSWHardeningNeeded:
			return StatusOutOfDate
		case StatusConfigurationNeeded, StatusConfigurationAndSWHardeningNeeded:
			return StatusOutOfDateConfigurationNeeded
		}
	case StatusRevoked:
		return StatusRevoked
	}
	return s
}

func configurationNeeded(s TCBStatus) bool {
	switch s {
	case StatusConfigurationNeeded, StatusOutOfDateConfigurationNeeded,
		StatusConfigurationAndSWHardeningNeeded, StatusTDRelaunchAdvisedConfigurationNeeded:
		return true
	}
	return false
}

// checkRelaunch is Intel's TD relaunch check for TD report 1.5: when the
// TD is out of date only because of the TDX module it launched under, and
// the module and microcode the platform runs now (TEE_TCB_SVN2) are at the
// latest level, relaunching the TD fixes it.
func checkRelaunch(svn2 [16]byte, info *tcbInfo, sgx, tdx, module, qe TCBStatus) (TCBStatus, error) {
	if qe == StatusOutOfDate || qe == StatusRevoked {
		return tdx, nil
	}
	switch sgx {
	case StatusUpToDate, StatusSWHardeningNeeded, StatusConfigurationNeeded, StatusConfigurationAndSWHardeningNeeded:
	default:
		return tdx, nil
	}
	if tdx != StatusOutOfDate && tdx != StatusOutOfDateConfigurationNeeded || module != StatusOutOfDate {
		return tdx, nil
	}
	latest := &info.TCBLevels[0]
	minModuleSVN := latest.TCB.TDXComponents[0].SVN
	if svn2[1] > 0 {
		ident := findModule(info, svn2[1])
		if ident == nil {
			return "", fmt.Errorf("%w: running TDX module version %d has no identity TDX_%02X in the TCB info", ErrCollateral, svn2[1], svn2[1])
		}
		if len(ident.TCBLevels) == 0 {
			return "", fmt.Errorf("%w: %s has no TCB levels", ErrTCBNotSupported, ident.ID)
		}
		minModuleSVN = ident.TCBLevels[0].TCB.ISVSVN
	}
	if int(svn2[0]) >= minModuleSVN && int(svn2[2]) >= latest.TCB.TDXComponents[2].SVN {
		if configurationNeeded(sgx) || configurationNeeded(tdx) {
			return StatusTDRelaunchAdvisedConfigurationNeeded, nil
		}
		return StatusTDRelaunchAdvised, nil
	}
	return tdx, nil
}

// appendNew appends the IDs that dst does not hold yet.
func appendNew(dst []string, ids ...string) []string {
	for _, id := range ids {
		if !slices.Contains(dst, id) {
			dst = append(dst, id)
		}
	}
	return dst
}
