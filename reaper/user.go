package reaper

import (
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// UserError reports that [Config.User] names no user or group of the
// image, holds an id out of range, or that sexton may not switch to it.
// Nothing was started.
type UserError struct {
	Spec string // Config.User as given
	Why  string // what is wrong and how to fix it
}

func (e *UserError) Error() string { return "user " + e.Spec + ": " + e.Why }

// identity is who the command runs as: its ids, its groups, and the home
// directory that goes into HOME when the environment has none.
type identity struct {
	uid, gid uint32
	groups   []uint32
	home     string
}

// The files that name users and groups, in the container's root: the
// command's own view, as gosu and su-exec read them. Not os/user: without
// cgo it reads the same files, and costs 216 KiB of binary (measured).
const (
	passwdFile = "/etc/passwd"
	groupFile  = "/etc/group"
)

// credential reads spec (USER[:GROUP]) against the image's passwd and
// group files and checks that sexton may switch to it. It returns nil when
// the command runs as sexton does: no switch is needed.
func credential(spec string) (*syscall.Credential, string, error) {
	passwd, perr := readFile(passwdFile)
	group, gerr := readFile(groupFile)
	id, err := resolveUser(spec, passwd, perr, group, gerr)
	if err != nil {
		return nil, "", err
	}
	if !canSetIDs() {
		// Without CAP_SETUID and CAP_SETGID setgroups fails, and
		// setuid to anyone but ourselves; the child would find out
		// after the fork, as an EPERM that looks like an exec error.
		if id.uid == uint32(unix.Getuid()) && id.gid == uint32(unix.Getgid()) {
			return nil, id.home, nil
		}
		return nil, "", &UserError{spec, "sexton runs as uid " + strconv.Itoa(unix.Getuid()) +
			" without CAP_SETUID and CAP_SETGID, so it cannot switch users; start it as root, or leave out --user and let the runtime set the user"}
	}
	return &syscall.Credential{Uid: id.uid, Gid: id.gid, Groups: id.groups}, id.home, nil
}

// canSetIDs reports whether sexton holds CAP_SETUID and CAP_SETGID in its
// effective set, which setgroups, setgid and setuid to another id need.
func canSetIDs() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return unix.Geteuid() == 0
	}
	const need = 1<<unix.CAP_SETUID | 1<<unix.CAP_SETGID
	return data[0].Effective&need == need
}

// resolveUser turns spec into ids as gosu and Docker do:
//   - USER is a name from passwd or a numeric uid; a uid with no entry
//     gets gid 0 and HOME=/, and needs neither file (a scratch image);
//   - without GROUP, the gid is the passwd entry's and the supplementary
//     groups are that gid and every group that lists USER, as
//     initgroups(3) gives them;
//   - with GROUP (a name from group, or a numeric gid) that group is the
//     gid and the only supplementary group.
//
// perr and gerr are the errors of reading the files (passwd and group
// are then nil); a missing file only matters when a name must be looked up.
func resolveUser(spec string, passwd []byte, perr error, group []byte, gerr error) (identity, error) {
	fail := func(why string) (identity, error) { return identity{}, &UserError{spec, why} }
	user, grp, hasGroup := strings.Cut(spec, ":")
	if user == "" || (hasGroup && grp == "") {
		return fail("write it as USER or USER:GROUP, each a name or a number")
	}
	id := identity{home: "/"}
	var name string // the user's name, for its supplementary groups
	if isNumber(user) {
		uid, ok := parseID(user)
		if !ok {
			return fail("uid " + user + " is out of range; use 0-4294967294")
		}
		id.uid = uid
		if e, ok := findEntry(passwd, 7, 2, user); ok {
			name = e[0]
			id.gid, _ = parseID(e[3])
			id.home = nonEmpty(e[5], "/")
		}
	} else {
		if perr != nil {
			return fail("cannot read " + passwdFile + " (" + perr.Error() + ") to look up " + user + "; give a numeric uid instead")
		}
		e, ok := findEntry(passwd, 7, 0, user)
		if !ok {
			return fail("no user " + user + " in " + passwdFile + "; add it to the image or give a numeric uid")
		}
		uid, ok1 := parseID(e[2])
		gid, ok2 := parseID(e[3])
		if !ok1 || !ok2 {
			return fail("the entry of " + user + " in " + passwdFile + " has a bad uid or gid")
		}
		name, id.uid, id.gid, id.home = user, uid, gid, nonEmpty(e[5], "/")
	}
	if hasGroup {
		if isNumber(grp) {
			gid, ok := parseID(grp)
			if !ok {
				return fail("gid " + grp + " is out of range; use 0-4294967294")
			}
			id.gid = gid
		} else {
			if gerr != nil {
				return fail("cannot read " + groupFile + " (" + gerr.Error() + ") to look up " + grp + "; give a numeric gid instead")
			}
			e, ok := findEntry(group, 4, 0, grp)
			gid, ok2 := uint32(0), false
			if ok {
				gid, ok2 = parseID(e[2])
			}
			if !ok2 {
				return fail("no group " + grp + " in " + groupFile + "; add it to the image or give a numeric gid")
			}
			id.gid = gid
		}
		id.groups = []uint32{id.gid}
		return id, nil
	}
	id.groups = []uint32{id.gid}
	if name == "" {
		return id, nil
	}
	for line := range strings.Lines(string(group)) {
		f := fieldsOf(line, 4)
		if f == nil {
			continue
		}
		gid, ok := parseID(f[2])
		if !ok {
			continue
		}
		for m := range strings.SplitSeq(f[3], ",") {
			if m == name && !slices.Contains(id.groups, gid) {
				id.groups = append(id.groups, gid)
			}
		}
	}
	return id, nil
}

// findEntry returns the fields of the first line of a passwd file (n = 7)
// or a group file (n = 4) whose field k is v.
func findEntry(file []byte, n, k int, v string) ([]string, bool) {
	for line := range strings.Lines(string(file)) {
		if f := fieldsOf(line, n); f != nil && f[k] == v {
			return f, true
		}
	}
	return nil, false
}

// fieldsOf splits one line of passwd or group at its colons, or returns
// nil when it does not have n fields (7 in passwd, 4 in group) or is a
// comment or an NIS line (+, -), as glibc's files backend skips them.
func fieldsOf(line string, n int) []string {
	line = strings.TrimRight(line, "\r\n")
	if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
		return nil
	}
	if f := strings.Split(line, ":"); len(f) == n {
		return f
	}
	return nil
}

func isNumber(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// parseID reads a uid or gid: 0 to 2^32-2, since (uint32)-1 means "no
// change" to setresuid and setresgid.
func parseID(s string) (uint32, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 1<<32-1 {
		return 0, false
	}
	return uint32(n), true
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
