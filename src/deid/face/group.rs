//! Grouping of overlapping hits, as OpenCV's `groupRectangles`: a real face passes the cascade
//! at many nearby positions and scales, a false hit at few. Similar hits form a class; a class
//! with more than `min_neighbours` members becomes one averaged box; boxes inside a much stronger
//! box are dropped.

use super::scan::Hit;

/// One grouped detection and the number of raw hits behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Group {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub neighbours: u32,
}

/// OpenCV's tolerance: corners within 20 % of the mean size are "similar".
const EPS: f32 = 0.2;

fn similar(a: &Hit, b: &Hit) -> bool {
    let delta = EPS * (a.w.min(b.w) + a.h.min(b.h)) as f32 * 0.5;
    let close = |p: u32, q: u32| (p as f32 - q as f32).abs() <= delta;
    close(a.x, b.x) && close(a.y, b.y) && close(a.x + a.w, b.x + b.w) && close(a.y + a.h, b.y + b.h)
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Groups `hits`; classes need more than `min_neighbours` members.
pub fn group(hits: &[Hit], min_neighbours: u32) -> Vec<Group> {
    let n = hits.len();
    let mut parent: Vec<usize> = (0..n).collect();
    for i in 0..n {
        for j in i + 1..n {
            if similar(&hits[i], &hits[j]) {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    // Sum each class's corners, then average.
    let mut sums: Vec<([u64; 4], u32)> = vec![([0; 4], 0); n];
    for (i, h) in hits.iter().enumerate() {
        let root = find(&mut parent, i);
        let s = &mut sums[root];
        for (acc, v) in s.0.iter_mut().zip([h.x, h.y, h.w, h.h]) {
            *acc += u64::from(v);
        }
        s.1 += 1;
    }
    let classes: Vec<Group> = sums
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(s, count)| {
            let avg = |v: u64| (v as f64 / f64::from(*count)).round() as u32;
            Group { x: avg(s[0]), y: avg(s[1]), w: avg(s[2]), h: avg(s[3]), neighbours: *count }
        })
        .collect();
    let strong: Vec<&Group> = classes.iter().filter(|c| c.neighbours > min_neighbours).collect();
    strong
        .iter()
        .filter(|a| {
            !strong.iter().any(|b| {
                let (dx, dy) = ((b.w as f32 * EPS).round() as i64, (b.h as f32 * EPS).round() as i64);
                let (ax, ay, bx, by) = (i64::from(a.x), i64::from(a.y), i64::from(b.x), i64::from(b.y));
                !std::ptr::eq(**a, *b)
                    && ax >= bx - dx
                    && ay >= by - dy
                    && ax + i64::from(a.w) <= bx + i64::from(b.w) + dx
                    && ay + i64::from(a.h) <= by + i64::from(b.h) + dy
                    && (b.neighbours > a.neighbours.max(3) || a.neighbours < 3)
            })
        })
        .map(|g| **g)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(x: u32, y: u32, s: u32) -> Hit {
        Hit { x, y, w: s, h: s }
    }

    #[test]
    fn nearby_hits_average_into_one_box_counting_its_neighbours() {
        let hits = [hit(100, 100, 50), hit(102, 98, 52), hit(98, 101, 48), hit(101, 100, 50), hit(400, 10, 30)];
        let g = group(&hits, 3);
        assert_eq!(g, vec![Group { x: 100, y: 100, w: 50, h: 50, neighbours: 4 }]);
    }

    #[test]
    fn a_class_with_min_neighbours_members_or_fewer_is_dropped() {
        let hits = [hit(100, 100, 50), hit(102, 98, 52), hit(98, 101, 48)];
        assert!(group(&hits, 3).is_empty());
        assert_eq!(group(&hits, 2).len(), 1);
    }

    #[test]
    fn a_weak_box_inside_a_much_stronger_one_is_dropped() {
        let mut hits: Vec<Hit> = (0..10).map(|k| hit(100 + k % 3, 100, 100)).collect();
        hits.extend((0..4).map(|k| hit(130 + k % 2, 130, 30)));
        let g = group(&hits, 3);
        assert_eq!(g.len(), 1);
        assert_eq!((g[0].w, g[0].neighbours), (100, 10));
    }
}
